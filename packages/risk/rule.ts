// The shape of one detection rule: a pure function of the change and the stored object before and
// after it. Rules never throw on odd input shapes by design; the evaluator still catches and counts.
import type { Change } from '../change/index.js';
import type { RiskConfig } from './config.js';
import type { Severity } from './types.js';

export interface RuleInput {
  /** The change, with out-of-leaf bodies already resolved into request/response. */
  change: Change;
  /** The stored object before this change (the previous version), or null when there is none. */
  before: unknown;
  /** The stored object after this change, or null (a delete, a failed attempt, no stored object). */
  after: unknown;
}

/** One thing a rule saw; the evaluator adds the rule id and the configured severity. */
export interface Hit {
  message: string;
  /** RFC 6901 pointer, '' when the finding is about the request as a whole. */
  path: string;
  /** Overrides the rule's configured severity (a burst, a catch-all host). */
  severity?: Severity;
}

/** A rule may keep state across entries (burst windows); it sees entries in log order. */
export type Rule = (input: RuleInput, config: RiskConfig) => Hit[];

/** True when the change succeeded, so its stored object is what the cluster now serves. */
export const succeeded = (c: Change): boolean => c.responseCode >= 200 && c.responseCode < 300;

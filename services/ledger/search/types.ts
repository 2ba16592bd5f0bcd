// The types of the search index contract (services/ledger/search/index.ts re-exports them).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Change } from '../../../packages/change/index.js';

export type { DiffOp, Finding, Severity } from '../../../packages/risk/index.js';

export interface IndexInput {
  index: bigint;
  change: Change;
  /** Out-of-leaf bodies by lower-case hex sha256. */
  bodies: ReadonlyMap<string, Uint8Array>;
}

export interface SearchIndexOptions {
  logger: Logger;
  registry?: Registry;
  /** A YAML file with per-rule settings (on/off, severity, allow-lists); docs/risk-rules.md. */
  rulesFile?: string;
}

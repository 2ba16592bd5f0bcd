// reason-missing (issue 18): a person changed an audited object without saying why. Off by
// default; the rules file turns it on. "A person" is the notion the admission policy uses
// (packages/change/actor.ts): service accounts, nodes and control-plane users are never asked, nor
// the users and groups this rule's settings exempt (exemptUsers is applied by the evaluator).
import { lacksReason } from '../change/index.js';
import type { RiskConfig } from './config.js';
import { type Hit, type RuleInput, succeeded } from './rule.js';

export function reasonMissing(input: RuleInput, cfg: RiskConfig): Hit[] {
  const { change } = input;
  // A refused request changed nothing; denied-attempt speaks for it.
  if (!succeeded(change)) return [];
  // A delete's why is the reason annotation of the object it removed (annotate, then delete).
  if (!lacksReason(change, { groups: cfg.reasonExemptGroups }, input.before ?? change.response)) return [];
  const tool = change.attribution === undefined ? '' : ` (through ${change.attribution.tool})`;
  return [
    {
      message: `${change.user.username} made this ${change.action}${tool} without a reason (annotation ingress-ledger.dev/reason)`,
      path: '',
    },
  ];
}

// CONTRACT STUB (ledger engineer implements): strict schema validation of a parsed change.
import type { Change } from './change.js';
import { ChangeError } from './errors.js';

/** Checks every required field of schema ingress-ledger.change/v1; throws ChangeError('SCHEMA') naming the field. */
export function validateChange(_value: unknown): Change {
  throw new ChangeError('SCHEMA', 'not implemented');
}

// CONTRACT STUB: to be implemented (keep these signatures). C2SP tlog-proof@v1.
import { TlogError } from './errors.js';
import type { Policy } from './policy.js';

export interface TlogProof {
  /** Optional opaque extra data line. */
  extra?: Uint8Array;
  index: bigint;
  /** The inclusion proof hashes. */
  hashes: Uint8Array[];
  /** The whole cosigned checkpoint note. */
  checkpoint: string;
}

export function formatTlogProof(_p: TlogProof): string {
  throw new TlogError('MALFORMED', 'not implemented');
}
export function parseTlogProof(_text: string | Uint8Array): TlogProof {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Verifies the checkpoint against the policy and the inclusion of leaf. Throws TlogError. */
export function verifyTlogProof(
  _proof: TlogProof,
  _leaf: Uint8Array,
  _policy: Policy,
): { checkpoint: import('./checkpoint.js').Checkpoint; cosigners: string[] } {
  throw new TlogError('MALFORMED', 'not implemented');
}

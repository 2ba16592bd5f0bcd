// CONTRACT STUB: to be implemented (keep these signatures). C2SP tlog-policy.
import { TlogError } from './errors.js';
import type { PublicKey } from './note.js';

export interface PolicyLog {
  vkey: PublicKey;
  url?: string;
}
export interface PolicyWitness {
  name: string;
  vkey: string;
  url?: string;
}
export interface PolicyGroup {
  name: string;
  /** How many members must be satisfied. */
  threshold: number;
  members: string[];
}
export interface Policy {
  logs: PolicyLog[];
  witnesses: PolicyWitness[];
  groups: PolicyGroup[];
  /** The name of the witness or group that must be satisfied, or 'none'. */
  quorum: string;
}

/** Parses a tlog-policy file. Unknown names, cycles, bad thresholds are BAD_POLICY. */
export function parsePolicy(_text: string): Policy {
  throw new TlogError('BAD_POLICY', 'not implemented');
}
/** Formats a policy as text. */
export function formatPolicy(_p: Policy): string {
  throw new TlogError('BAD_POLICY', 'not implemented');
}
/** Whether the set of witness names that cosigned satisfies the policy's quorum. */
export function quorumMet(_p: Policy, _cosigned: ReadonlySet<string>): boolean {
  throw new TlogError('BAD_POLICY', 'not implemented');
}
/**
 * Verifies a checkpoint note against a policy: a valid signature of one of its logs, and
 * cosignatures that meet the quorum. Returns the parsed checkpoint and the witnesses that cosigned.
 * Throws NO_SIGNATURE / BAD_SIGNATURE / QUORUM_NOT_MET / MALFORMED.
 */
export function verifyCheckpointNote(
  _note: string,
  _p: Policy,
): { checkpoint: import('./checkpoint.js').Checkpoint; cosigners: string[]; logVkey: string } {
  throw new TlogError('BAD_POLICY', 'not implemented');
}

// Checks a checkpoint note against the user's policy. The server supplies the note only: which
// keys count and how many cosignatures are enough comes from the policy alone.
import {
  type Checkpoint,
  type Policy,
  TlogError,
  verifyCheckpointNote,
} from '../../../packages/tlog/index.js';
import { VerificationError } from './errors.js';

export interface VerifiedCheckpoint {
  checkpoint: Checkpoint;
  /** Names (in the policy) of the witnesses whose cosignatures verified. */
  cosigners: string[];
  /** The policy log key that signed it. */
  logVkey: string;
  note: string;
}

/** Verifies the log signature and the witness quorum. Throws VerificationError. */
export function checkCheckpoint(note: string, policy: Policy, size?: bigint): VerifiedCheckpoint {
  try {
    const { checkpoint, cosigners, logVkey } = verifyCheckpointNote(note, policy);
    return { checkpoint, cosigners, logVkey, note };
  } catch (err) {
    if (!(err instanceof TlogError)) throw err;
    const where = size === undefined ? '' : ` (tree size ${size})`;
    switch (err.code) {
      case 'QUORUM_NOT_MET':
        throw new VerificationError(
          'QUORUM',
          `checkpoint${where} lacks the witness quorum: ${err.message}`,
          undefined,
          size,
        );
      case 'NO_SIGNATURE':
      case 'BAD_SIGNATURE':
      case 'BAD_KEY':
        throw new VerificationError(
          'LOG_SIGNATURE',
          `checkpoint${where} is not signed by a log of the policy: ${err.message}`,
          undefined,
          size,
        );
      default:
        throw new VerificationError(
          'CHECKPOINT',
          `checkpoint${where} is malformed: ${err.message}`,
          undefined,
          size,
        );
    }
  }
}

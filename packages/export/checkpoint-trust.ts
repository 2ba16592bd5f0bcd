// What an export trusts a checkpoint by: the witness policy (the log's signature and the quorum of
// cosignatures), or the log's vkey alone when no policy is given.
import {
  type Checkpoint,
  openNote,
  type Policy,
  type PublicKey,
  parseCheckpoint,
  verifyCheckpointNote,
} from '../tlog/index.js';
import { ExportError } from './errors.js';

/** Verifies a checkpoint note and returns the checkpoint; throws ExportError VERIFY_FAILED. */
export type CheckpointCheck = (note: string) => Checkpoint;

export function checkpointCheck(trust: { policy: Policy } | { vkey: PublicKey }): CheckpointCheck {
  return (note) => {
    try {
      if ('policy' in trust) return verifyCheckpointNote(note, trust.policy).checkpoint;
      const { note: parsed } = openNote(note, [trust.vkey]);
      const checkpoint = parseCheckpoint(parsed.text);
      if (checkpoint.origin !== trust.vkey.name)
        throw new ExportError(
          'VERIFY_FAILED',
          `checkpoint origin ${checkpoint.origin} is not the log key's name`,
        );
      return checkpoint;
    } catch (err) {
      if (err instanceof ExportError) throw err;
      const code = (err as { code?: string }).code ?? 'ERROR';
      throw new ExportError(
        'VERIFY_FAILED',
        `checkpoint does not verify: ${code}: ${(err as Error).message}`,
      );
    }
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The note's text; bytes that are not UTF-8 are VERIFY_FAILED. */
export function noteText(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ExportError('VERIFY_FAILED', `${what} is not UTF-8 text`);
  }
}

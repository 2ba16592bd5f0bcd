// CONTRACT STUB: to be implemented (keep these signatures). C2SP tlog-checkpoint and cosignature/v1.
import { TlogError } from './errors.js';
import type { Note, PrivateKey, Signer, Verifier } from './note.js';

export interface Checkpoint {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
  /** Extension lines (after the root hash), each without its newline. */
  extensions: string[];
}

/** `<origin>\n<size>\n<base64 root>\n` plus extension lines. */
export function formatCheckpoint(_c: Checkpoint): string {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Parses checkpoint body text strictly (decimal without leading zeroes, < 2^63; 32-byte root). */
export function parseCheckpoint(_text: string): Checkpoint {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** The message a cosignature/v1 signs: `cosignature/v1\ntime <t>\n` followed by the checkpoint text. */
export function cosignatureMessage(_checkpointText: string, _time: bigint): Uint8Array {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** A Signer that produces cosignature/v1 signatures (time || sig) under the witness's 0x04 key id. */
export function cosigner(_key: PrivateKey, _now?: () => bigint): Signer {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Signs the checkpoint text (body) as cosignature/v1; returns the signature line `— name base64\n`. */
export function cosignCheckpoint(_checkpointText: string, _key: PrivateKey, _time: bigint): string {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** A Verifier for cosignature/v1 signatures from a type-0x04 vkey (or a type-0x01 key's public key). */
export function cosignatureVerifier(_vkey: string): Verifier & { lastTime?: bigint } {
  throw new TlogError('BAD_KEY', 'not implemented');
}
/** Adds signature lines to a note, keeping existing ones and skipping exact duplicates. */
export function mergeSignatures(_note: Note, _lines: readonly string[]): Note {
  throw new TlogError('MALFORMED', 'not implemented');
}

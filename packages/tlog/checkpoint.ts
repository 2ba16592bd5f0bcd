// C2SP tlog-checkpoint (the signed tree head body) and cosignature/v1 signers and verifiers.
import { cosignedMessage, signCosignature, verifyCosignature } from './cosignature.js';
import { decodeBase64, encodeBase64, parseDecimal } from './encoding.js';
import { TlogError } from './errors.js';
import { HASH_SIZE } from './hash.js';
import {
  formatNote,
  KEY_TYPE_COSIGNATURE_V1,
  keyId,
  type Note,
  type NoteSignature,
  type PrivateKey,
  parseSignatureLines,
  parseVkey,
  type Signer,
  type Verifier,
} from './note.js';

export { cosignedMessage, MAX_COSIGNATURE_TIME } from './cosignature.js';

export interface Checkpoint {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
  /** Extension lines (after the root hash), each without its newline. */
  extensions: string[];
}

/** Tree sizes are below 2^63 (tlog-checkpoint). */
const MAX_TREE_SIZE = (1n << 63n) - 1n;
/** A checkpoint body is a few short lines; larger text is refused before it is split. */
export const MAX_CHECKPOINT_BYTES = 64 * 1024;
/** Extension lines a checkpoint may carry before it is MALFORMED. */
export const MAX_CHECKPOINT_EXTENSIONS = 100;

const encoder = new TextEncoder();
const CONTROL_RE = /[\u0000-\u001f]/;

function checkLine(line: string, what: string): void {
  if (line.length === 0) throw new TlogError('MALFORMED', `empty ${what}`);
  if (CONTROL_RE.test(line)) throw new TlogError('MALFORMED', `control character in ${what}`);
  if (line.endsWith(' ')) throw new TlogError('MALFORMED', `${what} ends in a space`);
}

export function formatCheckpoint(c: Checkpoint): string {
  checkLine(c.origin, 'origin');
  if (c.size < 0n || c.size > MAX_TREE_SIZE) throw new TlogError('BAD_RANGE', 'tree size out of range');
  if (c.rootHash.length !== HASH_SIZE) throw new TlogError('BAD_HASH_SIZE', 'root hash is not 32 bytes');
  if (c.extensions.length > MAX_CHECKPOINT_EXTENSIONS)
    throw new TlogError('MALFORMED', 'too many extension lines');
  for (const e of c.extensions) checkLine(e, 'extension line');
  const lines = [c.origin, c.size.toString(10), encodeBase64(c.rootHash), ...c.extensions];
  return `${lines.join('\n')}\n`;
}

export function parseCheckpoint(text: string): Checkpoint {
  if (text.length > MAX_CHECKPOINT_BYTES) throw new TlogError('MALFORMED', 'checkpoint too large');
  if (!text.endsWith('\n')) throw new TlogError('MALFORMED', 'checkpoint does not end in newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new TlogError('MALFORMED', 'checkpoint has fewer than 3 lines');
  if (lines.length > 3 + MAX_CHECKPOINT_EXTENSIONS)
    throw new TlogError('MALFORMED', 'too many extension lines');
  const [origin = '', sizeText = '', rootText = '', ...extensions] = lines;
  checkLine(origin, 'origin');
  const size = parseDecimal(sizeText);
  const rootHash = decodeBase64(rootText);
  if (rootHash.length !== HASH_SIZE) throw new TlogError('BAD_HASH_SIZE', 'root hash is not 32 bytes');
  for (const e of extensions) checkLine(e, 'extension line');
  return { origin, size, rootHash, extensions };
}

export function cosignatureMessage(checkpointText: string, time: bigint): Uint8Array {
  return cosignedMessage(encoder.encode(checkpointText), time);
}

function unixNow(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}

export function cosigner(key: PrivateKey, now: () => bigint = unixNow): Signer {
  return {
    name: key.name,
    keyId: keyId(key.name, KEY_TYPE_COSIGNATURE_V1, key.publicKey),
    sign: (message) => signCosignature(key.seed, message, now()),
  };
}

export function cosignCheckpoint(checkpointText: string, key: PrivateKey, time: bigint): string {
  parseCheckpoint(checkpointText);
  const signer = cosigner(key, () => time);
  const signature = signer.sign(encoder.encode(checkpointText));
  // formatNote checks the text and renders the line exactly as a note would carry it.
  const note = formatNote({
    text: checkpointText,
    signatures: [{ name: signer.name, keyId: signer.keyId, signature }],
  });
  return note.slice(checkpointText.length + 1);
}

export function cosignatureVerifier(vkey: string): Verifier & { lastTime?: bigint } {
  const key = parseVkey(vkey);
  const verifier: Verifier & { lastTime?: bigint } = {
    name: key.name,
    keyId: keyId(key.name, KEY_TYPE_COSIGNATURE_V1, key.publicKey),
    verify(message, signature) {
      const time = verifyCosignature(key.publicKey, message, signature);
      if (time === undefined) return false;
      verifier.lastTime = time;
      return true;
    },
  };
  return verifier;
}

function sameSignature(a: NoteSignature, b: NoteSignature): boolean {
  if (a.name !== b.name || a.keyId !== b.keyId || a.signature.length !== b.signature.length) return false;
  return a.signature.every((byte, i) => byte === b.signature[i]);
}

export function mergeSignatures(note: Note, lines: readonly string[]): Note {
  const signatures = [...note.signatures];
  for (const line of lines) {
    for (const sig of parseSignatureLines(line)) {
      if (!signatures.some((s) => sameSignature(s, sig))) signatures.push(sig);
    }
  }
  const merged = { text: note.text, signatures };
  formatNote(merged); // enforces the signature limit and text rules on the result
  return merged;
}

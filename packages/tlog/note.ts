// C2SP signed-note: parsing, formatting, signing and opening notes. Notes arrive from the network
// and from files, so parsing is strict and bounded before any signature is checked.
import { decodeBase64, encodeBase64, hasLoneSurrogate } from './encoding.js';
import { TlogError } from './errors.js';
import { isValidKeyName } from './key-name.js';
import type { Signer, Verifier } from './key-types.js';

export { isValidKeyName } from './key-name.js';
export type { PrivateKey, PublicKey, Signer, Verifier } from './key-types.js';
export {
  cosignatureVkey,
  generateKey,
  hexKeyId,
  keyId,
  parseSkey,
  parseVkey,
  publicKeyOf,
} from './keys.js';

/** Signature type bytes of C2SP signed-note key ids. */
export const KEY_TYPE_ED25519 = 0x01;
export const KEY_TYPE_COSIGNATURE_V1 = 0x04;

/** More signature lines than this make a note MALFORMED (the spec asks to accept at least 16). */
export const MAX_NOTE_SIGNATURES = 100;
/** A note larger than this is MALFORMED before it is looked at (a leaf is at most 64 KiB). */
export const MAX_NOTE_BYTES = 1024 * 1024;

/** One signature line of a note, undecoded beyond its key id. */
export interface NoteSignature {
  name: string;
  /** The 4-byte key hash as an unsigned 32-bit number. */
  keyId: number;
  /** The signature bytes after the 4-byte key id (64 for Ed25519, 8+64 for cosignature/v1). */
  signature: Uint8Array;
}

export interface Note {
  /** The signed text, ending in exactly one newline. */
  text: string;
  signatures: NoteSignature[];
}

const SIG_PREFIX = '\u2014 ';
const KEY_ID_BYTES = 4;
const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const CONTROL_RE = /[\u0000-\u0009\u000b-\u001f]/;
const TRAILING_SPACE_RE = / \n/;

function malformed(why: string): never {
  throw new TlogError('MALFORMED', why);
}

/** Decodes note bytes as strict UTF-8 (a BOM is kept, so it fails as a control-free first line would). */
function toText(note: string | Uint8Array): string {
  if (typeof note === 'string') {
    if (note.length > MAX_NOTE_BYTES) malformed('note too large');
    if (hasLoneSurrogate(note)) malformed('note is not valid UTF-8');
    return note;
  }
  if (note.length > MAX_NOTE_BYTES) malformed('note too large');
  try {
    return utf8.decode(note);
  } catch {
    return malformed('note is not valid UTF-8');
  }
}

/** Checks text: non-empty, ends in one newline, last line not blank, no controls, no trailing spaces. */
function checkText(text: string): void {
  if (text.length === 0) malformed('empty note text');
  if (!text.endsWith('\n')) malformed('note text does not end in newline');
  if (text.endsWith('\n\n') || text === '\n') malformed('note text ends in a blank line');
  if (CONTROL_RE.test(text)) malformed('control character in note text');
  if (TRAILING_SPACE_RE.test(text)) malformed('line ends in a space');
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIG_PREFIX)) malformed('signature line does not start with an em dash and space');
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0 || rest.indexOf(' ', space + 1) >= 0) malformed('signature line is not "name signature"');
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) malformed('invalid key name in signature line');
  const bytes = decodeBase64(rest.slice(space + 1));
  if (bytes.length <= KEY_ID_BYTES) malformed('signature too short');
  const keyId = new DataView(bytes.buffer, bytes.byteOffset, KEY_ID_BYTES).getUint32(0, false);
  return { name, keyId, signature: bytes.slice(KEY_ID_BYTES) };
}

/** Parses one signature line, with or without its final newline. */
export function parseSignatureLines(block: string): NoteSignature[] {
  const body = block.endsWith('\n') ? block.slice(0, -1) : block;
  if (body.length === 0) malformed('no signature lines');
  if (CONTROL_RE.test(body)) malformed('control character in signature lines');
  // Count before decoding anything: a note with thousands of lines costs nothing to refuse.
  let lines = 1;
  for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) {
    if (++lines > MAX_NOTE_SIGNATURES) malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  }
  return body.split('\n').map(parseSignatureLine);
}

export function parseNote(note: string | Uint8Array): Note {
  const s = toText(note);
  if (!s.endsWith('\n')) malformed('note does not end in newline');
  const split = s.lastIndexOf('\n\n');
  if (split < 0) malformed('note has no blank line before its signatures');
  const text = s.slice(0, split + 1);
  checkText(text);
  const signatures = parseSignatureLines(s.slice(split + 2));
  return { text, signatures };
}

export function formatSignatureLine(sig: NoteSignature): string {
  if (!isValidKeyName(sig.name)) throw new TlogError('BAD_KEY', 'invalid key name');
  const bytes = new Uint8Array(KEY_ID_BYTES + sig.signature.length);
  new DataView(bytes.buffer).setUint32(0, sig.keyId >>> 0, false);
  bytes.set(sig.signature, KEY_ID_BYTES);
  return `${SIG_PREFIX}${sig.name} ${encodeBase64(bytes)}\n`;
}

export function formatNote(note: Note): string {
  checkText(note.text);
  if (hasLoneSurrogate(note.text)) malformed('note text is not valid UTF-8');
  if (note.signatures.length === 0) malformed('a note needs at least one signature');
  if (note.signatures.length > MAX_NOTE_SIGNATURES) malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

export function signNote(text: string, ...signers: Signer[]): string {
  checkText(text);
  if (hasLoneSurrogate(text)) malformed('note text is not valid UTF-8');
  const message = encoder.encode(text);
  const signatures = signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(message) }));
  return formatNote({ text, signatures });
}

/**
 * The signed text of a note given as bytes, as a view: everything up to the blank line before the
 * signatures (parseNote split the decoded string at the same place, since in UTF-8 a newline byte
 * is always a newline), so verifying does not encode the text again.
 */
function signedBytes(note: Uint8Array): Uint8Array {
  for (let i = note.length - 2; i >= 0; i--) {
    if (note[i] === 0x0a && note[i + 1] === 0x0a) return note.subarray(0, i + 1);
  }
  return malformed('note has no blank line before its signatures');
}

export function openNote(
  note: string | Uint8Array,
  known: readonly Verifier[],
): { note: Note; verified: Verifier[] } {
  const parsed = parseNote(note);
  const message = typeof note === 'string' ? encoder.encode(parsed.text) : signedBytes(note);
  const verified: Verifier[] = [];
  for (const sig of parsed.signatures) {
    for (const v of known) {
      if (v.name !== sig.name || v.keyId >>> 0 !== sig.keyId) continue;
      if (!v.verify(message, sig.signature)) {
        throw new TlogError('BAD_SIGNATURE', `signature by ${sig.name} does not verify`);
      }
      if (!verified.includes(v)) verified.push(v);
    }
  }
  if (verified.length === 0) throw new TlogError('NO_SIGNATURE', 'no signature by a known key');
  return { note: parsed, verified };
}

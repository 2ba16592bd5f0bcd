// CONTRACT STUB: to be implemented (keep these signatures). C2SP signed-note and Ed25519 keys.
import { TlogError } from './errors.js';

/** Signature type bytes of C2SP signed-note key ids. */
export const KEY_TYPE_ED25519 = 0x01;
export const KEY_TYPE_COSIGNATURE_V1 = 0x04;

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

/** Something that signs notes under a name and key id. */
export interface Signer {
  readonly name: string;
  readonly keyId: number;
  /** Signature bytes for this message (without the key id prefix). */
  sign(message: Uint8Array): Uint8Array;
}

/** Something that verifies note signatures of one name and key id. */
export interface Verifier {
  readonly name: string;
  readonly keyId: number;
  /** Whether sig (bytes after the key id) signs message. Never throws. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A parsed Ed25519 verifier key (vkey text `<name>+<hex id>+<base64(type || key)>`). */
export interface PublicKey extends Verifier {
  readonly type: number;
  readonly publicKey: Uint8Array;
  /** The vkey text. */
  readonly vkey: string;
}

/** A parsed signer key (skey text `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`). */
export interface PrivateKey extends Signer {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The skey text. */
  readonly skey: string;
  /** The matching Ed25519 (type 0x01) vkey text. */
  readonly vkey: string;
}

/** Key id = first 4 bytes of SHA-256(name || 0x0A || type || public key), big-endian. */
export function keyId(_name: string, _type: number, _publicKey: Uint8Array): number {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** A name is non-empty, has no Unicode spaces and no '+'. */
export function isValidKeyName(_name: string): boolean {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Parses a vkey; type 0x01 (Ed25519) and 0x04 (cosignature/v1) are accepted. Throws BAD_KEY. */
export function parseVkey(_text: string): PublicKey {
  throw new TlogError('BAD_KEY', 'not implemented');
}
/** Parses an skey. Throws BAD_KEY. */
export function parseSkey(_text: string): PrivateKey {
  throw new TlogError('BAD_KEY', 'not implemented');
}
/** A new random Ed25519 key pair for name. */
export function generateKey(_name: string): PrivateKey {
  throw new TlogError('BAD_KEY', 'not implemented');
}
/** The cosignature/v1 vkey (type 0x04, its own key id) of a witness's private key. */
export function cosignatureVkey(_key: PrivateKey): string {
  throw new TlogError('BAD_KEY', 'not implemented');
}
/** Parses a signed note (text, blank line, signature lines). Throws MALFORMED. */
export function parseNote(_note: string | Uint8Array): Note {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Formats text (ending in newline) and signature lines into a note. */
export function formatNote(_note: Note): string {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Signs text (must end in newline, no blank-line-only issue) with every signer; returns the note text. */
export function signNote(_text: string, ..._signers: Signer[]): string {
  throw new TlogError('MALFORMED', 'not implemented');
}
/**
 * Opens a note: verifies every signature whose (name, keyId) matches a known verifier.
 * Unknown keys are ignored; a known key with a bad signature is BAD_SIGNATURE; no verified
 * signature at all is NO_SIGNATURE. Returns the note and the verifiers that verified.
 */
export function openNote(
  _note: string | Uint8Array,
  _known: readonly Verifier[],
): { note: Note; verified: Verifier[] } {
  throw new TlogError('MALFORMED', 'not implemented');
}

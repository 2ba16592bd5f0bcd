// The key shapes of C2SP signed notes, apart from the code that parses keys (keys.ts) and the code
// that signs and opens notes (note.ts), so that neither imports the other for them.

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

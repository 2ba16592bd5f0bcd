// The seam between the core and its cryptographic primitives (crypto.ts says who provides them).

/** The primitives the core needs. Implementations must be pure and synchronous. */
export interface CryptoProvider {
  readonly name: string;
  /** SHA-256 of the concatenation of parts. */
  sha256(...parts: Uint8Array[]): Uint8Array;
  /** The Ed25519 public key (32 bytes) of a 32-byte seed. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  /** A 64-byte Ed25519 signature of msg by the key with this 32-byte seed. */
  ed25519Sign(seed: Uint8Array, msg: Uint8Array): Uint8Array;
  /** Whether sig is a valid Ed25519 signature of msg by the 32-byte public key. Never throws. */
  ed25519Verify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean;
}

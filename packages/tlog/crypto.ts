// The one seam between the transparency-log core and its cryptographic primitives.
//
// On Node.js the core uses node:crypto (measured here: SHA-256 3-7x and Ed25519 verify about 10x
// faster than the pure-JS libraries). Where node:crypto is absent (a browser verifying a proof),
// the same functions come from @noble/hashes and @noble/curves. Both providers are tested against
// the same vectors; callers never pick one except in tests and benchmarks.

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

let current: CryptoProvider | undefined;

/** The provider in use: node:crypto on Node.js, else the pure-JS one. */
export function getCrypto(): CryptoProvider {
  if (current === undefined) throw new Error('tlog crypto provider not initialised');
  return current;
}

/** Replaces the provider (tests and benchmarks compare both). */
export function setCrypto(provider: CryptoProvider): void {
  current = provider;
}

const { nobleCrypto } = await import('./crypto-noble.js');
if (typeof process !== 'undefined' && process.versions?.node !== undefined) {
  const { nodeCrypto } = await import('./crypto-node.js');
  current = nodeCrypto;
} else {
  current = nobleCrypto;
}

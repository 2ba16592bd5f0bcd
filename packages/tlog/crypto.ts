// The one seam between the transparency-log core and its cryptographic primitives.
//
// On Node.js the core uses node:crypto for SHA-256 (measured here: 3-7x faster than the pure-JS
// libraries) and libsodium for Ed25519 (about 1.65x node:crypto's verify and 1.8x its sign rate,
// with node:crypto's verdicts: see crypto-sodium.ts). Where the libsodium addon cannot load, or
// INGRESS_LEDGER_CRYPTO=node:crypto asks for it, node:crypto does both. Where node:crypto is absent
// (a browser verifying a proof), the same functions come from @noble/hashes and @noble/curves. All
// providers are tested against the same vectors; callers never pick one except in tests and
// benchmarks.

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
let fallbackReason: string | undefined;

/** The provider in use: node:crypto on Node.js, else the pure-JS one. */
export function getCrypto(): CryptoProvider {
  if (current === undefined) throw new Error('tlog crypto provider not initialised');
  return current;
}

/** Which provider is in use and, when it is not the fastest one, why (for a start-up log line). */
export function describeCrypto(): { provider: string; fallback?: string } {
  const provider = getCrypto().name;
  return fallbackReason === undefined ? { provider } : { provider, fallback: fallbackReason };
}

/** Replaces the provider (tests and benchmarks compare them). */
export function setCrypto(provider: CryptoProvider): void {
  current = provider;
}

const { nobleCrypto } = await import('./crypto-noble.js');
if (typeof process !== 'undefined' && process.versions?.node !== undefined) {
  const { nodeCrypto } = await import('./crypto-node.js');
  const wanted = process.env.INGRESS_LEDGER_CRYPTO ?? 'libsodium';
  if (wanted === 'node:crypto') {
    current = nodeCrypto;
  } else {
    const { loadSodiumCrypto } = await import('./crypto-sodium.js');
    const sodium = loadSodiumCrypto();
    if (sodium instanceof Error) {
      current = nodeCrypto;
      fallbackReason = `libsodium unavailable: ${sodium.message.split('\n')[0]}`;
    } else {
      current = sodium;
    }
    if (wanted !== 'libsodium') {
      fallbackReason = `INGRESS_LEDGER_CRYPTO=${wanted} is neither libsodium nor node:crypto; using ${current.name}`;
    }
  }
} else {
  current = nobleCrypto;
}

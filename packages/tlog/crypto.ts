// The one seam between the transparency-log core and its cryptographic primitives.
//
// The core reads no environment and loads no native addon. On import it uses node:crypto where
// Node.js runs (SHA-256 measured here 3-7x faster than the pure-JS libraries) and @noble/hashes with
// @noble/curves where it does not (a browser verifying a proof). A service chooses a faster provider
// at its start with setCrypto: packages/runtime/crypto-choice.ts puts libsodium's Ed25519 in place
// (about 1.65x node:crypto's verify and 1.8x its sign rate, with node:crypto's verdicts: see
// crypto-sodium.ts) unless INGRESS_LEDGER_CRYPTO=node:crypto. All providers are tested against the
// same vectors, so the choice changes speed, never a verdict.

import type { CryptoProvider } from './crypto-provider.js';

export type { CryptoProvider } from './crypto-provider.js';

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

/**
 * Replaces the provider: a service's start (packages/runtime/crypto-choice.ts), tests and benchmarks.
 * `fallback` says why it is not the fastest one, for describeCrypto.
 */
export function setCrypto(provider: CryptoProvider, fallback?: string): void {
  current = provider;
  fallbackReason = fallback;
}

if (typeof process !== 'undefined' && process.versions?.node !== undefined) {
  current = (await import('./crypto-node.js')).nodeCrypto;
} else {
  current = (await import('./crypto-noble.js')).nobleCrypto;
}

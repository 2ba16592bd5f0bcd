// A service's start chooses the core's crypto provider (packages/tlog reads no environment and loads
// no addon itself): libsodium's Ed25519 where the addon loads, node:crypto when
// INGRESS_LEDGER_CRYPTO=node:crypto asks for it or the addon cannot load. Same verdicts and
// signatures either way (crypto-sodium.ts); only the speed differs. Called once per process and per
// worker thread, before any key is used.
import { type CryptoProvider, describeCrypto, getCrypto, setCrypto } from '../tlog/index.js';
import { loadSodiumCrypto } from './crypto-sodium.js';

/** The variable that picks the provider: `libsodium` (the default) or `node:crypto`. */
export const CRYPTO_ENV = 'INGRESS_LEDGER_CRYPTO';

// The provider the core started with (node:crypto on Node.js), kept so a second choice can go back.
let base: CryptoProvider | undefined;
let sodium: CryptoProvider | Error | undefined;

/** Puts the provider `env` asks for in place; says which one runs and why, if not the fastest. */
export function selectCrypto(env: NodeJS.ProcessEnv = process.env): { provider: string; fallback?: string } {
  base ??= getCrypto();
  const wanted = env[CRYPTO_ENV] ?? 'libsodium';
  if (wanted === 'node:crypto') {
    setCrypto(base);
    return describeCrypto();
  }
  sodium ??= loadSodiumCrypto(base);
  let fallback: string | undefined;
  if (sodium instanceof Error) fallback = `libsodium unavailable: ${sodium.message.split('\n')[0]}`;
  const chosen = sodium instanceof Error ? base : sodium;
  if (wanted !== 'libsodium') {
    fallback = `${CRYPTO_ENV}=${wanted} is neither libsodium nor node:crypto; using ${chosen.name}`;
  }
  setCrypto(chosen, fallback);
  return describeCrypto();
}

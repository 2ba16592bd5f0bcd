// node:crypto implementation of the CryptoProvider seam (the fast path on Node.js).
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import type { CryptoProvider } from './crypto-provider.js';

// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// Parsing a key into a KeyObject costs about as much as a verify; keep the recent ones.
const MAX_CACHED_KEYS = 1024;
const publicKeys = new Map<string, KeyObject>();
const privateKeys = new Map<string, KeyObject>();

function cached(cache: Map<string, KeyObject>, raw: Uint8Array, make: () => KeyObject): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  let key = cache.get(id);
  if (key === undefined) {
    key = make();
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    cache.set(id, key);
  }
  return key;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return cached(publicKeys, publicKey, () =>
    createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }),
  );
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  return cached(privateKeys, seed, () =>
    createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
  );
}

export const nodeCrypto: CryptoProvider = {
  name: 'node:crypto',
  sha256(...parts) {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    // A view, not a copy: each digest gets its own buffer, which nothing else shares.
    const d = h.digest();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  },
  ed25519PublicKey(seed) {
    if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
    const der = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
    return new Uint8Array(der.subarray(SPKI_PREFIX.length));
  },
  ed25519Sign(seed, msg) {
    if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
    return new Uint8Array(sign(null, msg, privateKeyObject(seed)));
  },
  ed25519Verify(publicKey, msg, sig) {
    if (publicKey.length !== 32 || sig.length !== 64) return false;
    try {
      return verify(null, msg, publicKeyObject(publicKey), sig);
    } catch {
      return false;
    }
  },
};

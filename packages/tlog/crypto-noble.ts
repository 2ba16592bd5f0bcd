// Pure-JS implementation of the CryptoProvider seam, for runtimes without node:crypto.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoProvider } from './crypto-provider.js';

export const nobleCrypto: CryptoProvider = {
  name: 'noble',
  sha256(...parts) {
    const h = sha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  ed25519PublicKey(seed) {
    if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
    return ed25519.getPublicKey(seed);
  },
  ed25519Sign(seed, msg) {
    if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
    return ed25519.sign(msg, seed);
  },
  ed25519Verify(publicKey, msg, sig) {
    if (publicKey.length !== 32 || sig.length !== 64) return false;
    try {
      return ed25519.verify(sig, msg, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};

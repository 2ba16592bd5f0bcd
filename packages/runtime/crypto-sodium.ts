// libsodium (through the sodium-native addon) for the Ed25519 half of the CryptoProvider seam.
//
// Measured here, one core, 1.6 KB messages: libsodium verifies about 1.65x and signs about 1.8x as
// fast as node:crypto (OpenSSL); SHA-256 stays with node:crypto, which uses the CPU's SHA
// instructions. Every log entry carries a signature, so verification is the ledger's and the
// auditor's largest cost, and this is the fastest primitive measured for it.
//
// Verdicts are node:crypto's, exactly. Both check s < L, decode A, and compare the encoding of
// [s]B - [k]A with R; libsodium also refuses small-order R and small-order or non-canonical A,
// which OpenSSL takes. So a libsodium "valid" is an OpenSSL "valid", and a libsodium "invalid" is
// asked again of node:crypto. Honest signatures never take the second path; forged or edge-case
// ones cost one verify more. Signatures are deterministic (RFC 8032), so both libraries sign the
// same bytes, which is checked when the addon loads.
import { createRequire } from 'node:module';
import type { CryptoProvider } from '../tlog/index.js';

/** The few sodium-native functions used; its buffers may be any Uint8Array. */
interface Sodium {
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, msg: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean;
}

// Expanding a seed costs a scalar multiplication, as much as a signature: keep the recent ones.
const MAX_CACHED_KEYS = 1024;

// RFC 8032 section 7.1 TEST 2: the load-time check that both libraries sign alike.
const CHECK_SEED = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
const CHECK_MSG = '72';

/**
 * The libsodium provider, or why it cannot be used here (no addon for this platform, a mismatch).
 * `nodeCrypto` is the node:crypto provider (the core's default on Node.js): it keeps SHA-256 and
 * gives the verdict on every signature libsodium refuses.
 */
export function loadSodiumCrypto(nodeCrypto: CryptoProvider): CryptoProvider | Error {
  if (nodeCrypto.name !== 'node:crypto')
    return new Error(`libsodium needs node:crypto, not ${nodeCrypto.name}`);
  let sodium: Sodium;
  try {
    sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
  } catch (err) {
    return err as Error;
  }
  const secretKeys = new Map<string, Uint8Array>();
  const secretKey = (seed: Uint8Array): Uint8Array => {
    if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
    const id = Buffer.from(seed.buffer, seed.byteOffset, seed.byteLength).toString('base64');
    let sk = secretKeys.get(id);
    if (sk === undefined) {
      sk = new Uint8Array(64);
      sodium.crypto_sign_seed_keypair(new Uint8Array(32), sk, seed);
      if (secretKeys.size >= MAX_CACHED_KEYS) secretKeys.clear();
      secretKeys.set(id, sk);
    }
    return sk;
  };
  const provider: CryptoProvider = {
    name: 'libsodium',
    sha256: nodeCrypto.sha256,
    ed25519PublicKey(seed) {
      // The second half of libsodium's secret key is the public key.
      return secretKey(seed).slice(32);
    },
    ed25519Sign(seed, msg) {
      const sig = new Uint8Array(64);
      sodium.crypto_sign_detached(sig, msg, secretKey(seed));
      return sig;
    },
    ed25519Verify(publicKey, msg, sig) {
      if (publicKey.length !== 32 || sig.length !== 64) return false;
      if (sodium.crypto_sign_verify_detached(sig, msg, publicKey)) return true;
      return nodeCrypto.ed25519Verify(publicKey, msg, sig);
    },
  };
  try {
    const seed = new Uint8Array(Buffer.from(CHECK_SEED, 'hex'));
    const msg = new Uint8Array(Buffer.from(CHECK_MSG, 'hex'));
    const ours = provider.ed25519Sign(seed, msg);
    const theirs = nodeCrypto.ed25519Sign(seed, msg);
    const pub = nodeCrypto.ed25519PublicKey(seed);
    if (
      Buffer.compare(ours, theirs) !== 0 ||
      Buffer.compare(provider.ed25519PublicKey(seed), pub) !== 0 ||
      !sodium.crypto_sign_verify_detached(theirs, msg, pub)
    ) {
      return new Error('libsodium and node:crypto disagree on RFC 8032 test 2');
    }
  } catch (err) {
    return err as Error;
  }
  return provider;
}

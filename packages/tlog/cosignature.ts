// C2SP tlog-cosignature, Ed25519 flavour (cosignature/v1): the signed message and the
// timestamped_signature layout. Kept apart from note.ts so that a type-0x04 vkey parsed there can
// verify cosignatures without a module cycle through checkpoint.ts.
import { getCrypto } from './crypto.js';
import { TlogError } from './errors.js';

/** Bytes of the big-endian timestamp that precedes the Ed25519 signature. */
export const COSIGNATURE_TIME_BYTES = 8;
/** Bytes of an Ed25519 signature. */
export const ED25519_SIGNATURE_BYTES = 64;
/** The spec caps cosignature timestamps at 2^63 - 1. */
export const MAX_COSIGNATURE_TIME = (1n << 63n) - 1n;

const encoder = new TextEncoder();

/** `cosignature/v1\ntime <t>\n` followed by the checkpoint body bytes. */
export function cosignedMessage(body: Uint8Array, time: bigint): Uint8Array {
  if (time < 0n || time > MAX_COSIGNATURE_TIME)
    throw new TlogError('BAD_RANGE', 'cosignature time out of range');
  const header = encoder.encode(`cosignature/v1\ntime ${time.toString(10)}\n`);
  const out = new Uint8Array(header.length + body.length);
  out.set(header, 0);
  out.set(body, header.length);
  return out;
}

/** time(8, big-endian) || Ed25519 signature over cosignedMessage(body, time). */
export function signCosignature(seed: Uint8Array, body: Uint8Array, time: bigint): Uint8Array {
  const sig = getCrypto().ed25519Sign(seed, cosignedMessage(body, time));
  const out = new Uint8Array(COSIGNATURE_TIME_BYTES + sig.length);
  new DataView(out.buffer).setBigUint64(0, time, false);
  out.set(sig, COSIGNATURE_TIME_BYTES);
  return out;
}

/**
 * Verifies a timestamped_signature (bytes after the key id) over a checkpoint body. Returns the
 * timestamp when valid, undefined otherwise; never throws, since the signature is hostile input.
 */
export function verifyCosignature(
  publicKey: Uint8Array,
  body: Uint8Array,
  signature: Uint8Array,
): bigint | undefined {
  if (signature.length !== COSIGNATURE_TIME_BYTES + ED25519_SIGNATURE_BYTES) return undefined;
  const time = new DataView(signature.buffer, signature.byteOffset, signature.byteLength).getBigUint64(
    0,
    false,
  );
  if (time > MAX_COSIGNATURE_TIME) return undefined;
  const ok = getCrypto().ed25519Verify(
    publicKey,
    cosignedMessage(body, time),
    signature.subarray(COSIGNATURE_TIME_BYTES),
  );
  return ok ? time : undefined;
}

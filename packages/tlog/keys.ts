// Signed-note keys (C2SP signed-note, DESIGN 3.4): key ids, vkey and skey text, generation.
import { verifyCosignature } from './cosignature.js';
import { getCrypto } from './crypto.js';
import { decodeBase64, encodeBase64 } from './encoding.js';
import { TlogError } from './errors.js';
import { isValidKeyName } from './key-name.js';
import type { PrivateKey, PublicKey } from './key-types.js';

const TYPE_ED25519 = 0x01;
const TYPE_COSIGNATURE_V1 = 0x04;
/** Bytes of an Ed25519 public key or seed. */
const ED25519_KEY_BYTES = 32;
/** Key texts are one short line; anything longer is refused before any decoding. */
export const MAX_KEY_TEXT_LENGTH = 4096;

const encoder = new TextEncoder();
const HEX_ID_RE = /^[0-9a-fA-F]{8}$/;
// Unicode White_Space (what Go's unicode.IsSpace sees) is \s plus U+0085; controls are never valid.

export function keyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = getCrypto().sha256(encoder.encode(name), new Uint8Array([0x0a, type & 0xff]), publicKey);
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0, false);
}

export function hexKeyId(id: number): string {
  return (id >>> 0).toString(16).padStart(8, '0');
}

function vkeyText(name: string, type: number, publicKey: Uint8Array): string {
  const material = new Uint8Array(1 + publicKey.length);
  material[0] = type;
  material.set(publicKey, 1);
  return `${name}+${hexKeyId(keyId(name, type, publicKey))}+${encodeBase64(material)}`;
}

/** Splits `<name>+<8 hex>+<base64>`; the base64 part may itself contain '+'. */
function splitKeyText(text: string, what: string): { name: string; id: number; material: Uint8Array } {
  if (text.length > MAX_KEY_TEXT_LENGTH) throw new TlogError('BAD_KEY', `${what} too long`);
  const a = text.indexOf('+');
  const b = a < 0 ? -1 : text.indexOf('+', a + 1);
  if (a <= 0 || b < 0) throw new TlogError('BAD_KEY', `${what} is not name+id+key`);
  const name = text.slice(0, a);
  const hex = text.slice(a + 1, b);
  if (!isValidKeyName(name)) throw new TlogError('BAD_KEY', `${what} has an invalid key name`);
  if (!HEX_ID_RE.test(hex)) throw new TlogError('BAD_KEY', `${what} key id is not 8 hex digits`);
  let material: Uint8Array;
  try {
    material = decodeBase64(text.slice(b + 1));
  } catch {
    throw new TlogError('BAD_KEY', `${what} key material is not base64`);
  }
  return { name, id: Number.parseInt(hex, 16), material };
}

function makePublicKey(name: string, type: number, publicKey: Uint8Array, vkey: string): PublicKey {
  const id = keyId(name, type, publicKey);
  const verify =
    type === TYPE_ED25519
      ? (message: Uint8Array, signature: Uint8Array) =>
          getCrypto().ed25519Verify(publicKey, message, signature)
      : (message: Uint8Array, signature: Uint8Array) =>
          verifyCosignature(publicKey, message, signature) !== undefined;
  return { name, keyId: id, type, publicKey, vkey, verify };
}

export function parseVkey(text: string): PublicKey {
  const { name, id, material } = splitKeyText(text, 'vkey');
  const type = material[0];
  if (type !== TYPE_ED25519 && type !== TYPE_COSIGNATURE_V1)
    throw new TlogError('BAD_KEY', 'unsupported key type');
  if (material.length !== 1 + ED25519_KEY_BYTES) throw new TlogError('BAD_KEY', 'wrong public key length');
  const publicKey = material.slice(1);
  const key = makePublicKey(name, type, publicKey, text);
  if (key.keyId !== id) throw new TlogError('BAD_KEY', 'key id does not match the key');
  return key;
}

/** The Ed25519 (0x01) or cosignature/v1 (0x04) verifier of a public key. */
export function publicKeyOf(name: string, type: number, publicKey: Uint8Array): PublicKey {
  if (!isValidKeyName(name)) throw new TlogError('BAD_KEY', 'invalid key name');
  if (type !== TYPE_ED25519 && type !== TYPE_COSIGNATURE_V1)
    throw new TlogError('BAD_KEY', 'unsupported key type');
  if (publicKey.length !== ED25519_KEY_BYTES) throw new TlogError('BAD_KEY', 'wrong public key length');
  return makePublicKey(name, type, publicKey, vkeyText(name, type, publicKey));
}

function makePrivateKey(name: string, seed: Uint8Array): PrivateKey {
  const publicKey = getCrypto().ed25519PublicKey(seed);
  const id = keyId(name, TYPE_ED25519, publicKey);
  const material = new Uint8Array(1 + seed.length);
  material[0] = TYPE_ED25519;
  material.set(seed, 1);
  return {
    name,
    keyId: id,
    seed,
    publicKey,
    skey: `PRIVATE+KEY+${name}+${hexKeyId(id)}+${encodeBase64(material)}`,
    vkey: vkeyText(name, TYPE_ED25519, publicKey),
    sign: (message) => getCrypto().ed25519Sign(seed, message),
  };
}

const SKEY_PREFIX = 'PRIVATE+KEY+';

export function parseSkey(text: string): PrivateKey {
  if (!text.startsWith(SKEY_PREFIX)) throw new TlogError('BAD_KEY', 'skey does not start with PRIVATE+KEY+');
  const { name, id, material } = splitKeyText(text.slice(SKEY_PREFIX.length), 'skey');
  if (material[0] !== TYPE_ED25519) throw new TlogError('BAD_KEY', 'unsupported skey type');
  if (material.length !== 1 + ED25519_KEY_BYTES) throw new TlogError('BAD_KEY', 'wrong seed length');
  const key = makePrivateKey(name, material.slice(1));
  if (key.keyId !== id) throw new TlogError('BAD_KEY', 'key id does not match the key');
  return key;
}

export function generateKey(name: string): PrivateKey {
  if (!isValidKeyName(name)) throw new TlogError('BAD_KEY', 'invalid key name');
  const seed = new Uint8Array(ED25519_KEY_BYTES);
  globalThis.crypto.getRandomValues(seed);
  return makePrivateKey(name, seed);
}

export function cosignatureVkey(key: PrivateKey): string {
  return vkeyText(key.name, TYPE_COSIGNATURE_V1, key.publicKey);
}

// RFC 6962 section 2.1 hashing: leaves and interior nodes are domain-separated by a prefix byte.
import { getCrypto } from './crypto.js';

/** Every hash in the log is a SHA-256 digest of this many bytes. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** SHA-256(0x00 || leaf). */
export function leafHash(leaf: Uint8Array): Uint8Array {
  return getCrypto().sha256(LEAF_PREFIX, leaf);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return getCrypto().sha256(NODE_PREFIX, left, right);
}

/** The root of the empty tree: SHA-256 of nothing. */
export function emptyRoot(): Uint8Array {
  return getCrypto().sha256();
}

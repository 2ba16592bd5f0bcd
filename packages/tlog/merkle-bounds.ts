// Input checks and 64-bit helpers shared by the Merkle code. Sizes, indexes and hashes reach the
// core from the network, so every entry point checks them before any hashing.
import { TlogError } from './errors.js';
import { HASH_SIZE } from './hash.js';

/** Largest tree size the core accepts: 2^63-1, the largest size a checkpoint can state. */
export const MAX_TREE_SIZE = (1n << 63n) - 1n;

const U32 = 0xffffffffn;

export function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE) {
    throw new TlogError('BAD_HASH_SIZE', `${what} is ${hash.length} bytes, want ${HASH_SIZE}`);
  }
}

/** Throws BAD_RANGE unless 0 <= size <= MAX_TREE_SIZE. */
export function checkTreeSize(size: bigint, what = 'tree size'): void {
  if (size < 0n || size > MAX_TREE_SIZE) throw new TlogError('BAD_RANGE', `${what} ${size} out of range`);
}

export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A value below 2^64 split into two exact 32-bit halves, so the verifier's per-level bit tests
 * run on small integers instead of allocating a bigint per shift.
 */
export interface U64 {
  hi: number;
  lo: number;
}

export function u64(x: bigint): U64 {
  return { hi: Number((x >> 32n) & U32), lo: Number(x & U32) };
}

export function bitAt(x: U64, i: number): number {
  return i < 32 ? (x.lo >>> i) & 1 : (x.hi >>> (i - 32)) & 1;
}

/** Number of significant bits (0 for 0). */
export function bitLength(x: U64): number {
  return x.hi !== 0 ? 64 - Math.clz32(x.hi) : 32 - Math.clz32(x.lo);
}

export function xor64(a: U64, b: U64): U64 {
  return { hi: (a.hi ^ b.hi) >>> 0, lo: (a.lo ^ b.lo) >>> 0 };
}

/** Number of set bits at positions >= from. */
export function popcountFrom(x: U64, from: number): number {
  let n = 0;
  for (let i = from; i < 64; i++) n += bitAt(x, i);
  return n;
}

/** Number of trailing zero bits (64 for 0). */
export function trailingZeros(x: U64): number {
  if (x.lo !== 0) return 31 - Math.clz32(x.lo & -x.lo);
  if (x.hi !== 0) return 63 - Math.clz32(x.hi & -x.hi);
  return 64;
}

/** Bit length of a non-negative bigint (exact for any size). */
export function bigBitLength(x: bigint): number {
  let n = 0;
  while (x > U32) {
    x >>= 32n;
    n += 32;
  }
  return n + 32 - Math.clz32(Number(x));
}

/** Number of set bits of a non-negative bigint. */
export function bigPopcount(x: bigint): number {
  let n = 0;
  for (; x > 0n; x >>= 1n) if (x & 1n) n++;
  return n;
}

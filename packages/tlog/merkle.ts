// CONTRACT STUB: to be implemented (keep these signatures). RFC 6962 / RFC 9162 Merkle tree math.
import { TlogError } from './errors.js';

/** A complete subtree: `level` 0 is a leaf; node (level, index) covers leaves [index<<level, (index+1)<<level). */
export interface NodeId {
  level: number;
  index: bigint;
}

/**
 * Reads the stored hash of a complete subtree. Synchronous (SQLite via better-sqlite3 is).
 * Throws TlogError('MISSING_NODE') when absent.
 */
export type NodeReader = (level: number, index: bigint) => Uint8Array;

/** Called for every complete subtree an append creates, leaf (level 0) included, bottom up. */
export type NodeVisitor = (level: number, index: bigint, hash: Uint8Array) => void;

/**
 * A compact range [0, size): the roots of the perfect subtrees that make up the tree (its
 * "peaks", largest first). Enough to append and to compute the root without any other node.
 */
export class CompactRange {
  private constructor(
    readonly size: bigint,
    readonly peaks: readonly Uint8Array[],
  ) {}
  static empty(): CompactRange {
    throw new TlogError('MALFORMED', 'not implemented');
  }
  /** Rebuilds a range from stored state; checks that peaks.length == popcount(size). */
  static fromState(_size: bigint, _peaks: readonly Uint8Array[]): CompactRange {
    throw new TlogError('MALFORMED', 'not implemented');
  }
  /** Appends one leaf hash; reports every new complete subtree to visit. Returns the new range. */
  append(_leafHash: Uint8Array, _visit?: NodeVisitor): CompactRange {
    throw new TlogError('MALFORMED', 'not implemented');
  }
  /** The RFC 6962 root hash of the tree of this size. */
  root(): Uint8Array {
    throw new TlogError('MALFORMED', 'not implemented');
  }
  /** Serialized state (size and peaks) for storage; inverse of CompactRange.decode. */
  encode(): Uint8Array {
    throw new TlogError('MALFORMED', 'not implemented');
  }
  static decode(_bytes: Uint8Array): CompactRange {
    throw new TlogError('MALFORMED', 'not implemented');
  }
}

/** The NodeIds an inclusion proof for (index, size) reads, so a store can fetch them in one go. */
export function inclusionProofNodes(_index: bigint, _size: bigint): NodeId[] {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** RFC 9162 2.1.3 inclusion proof of leaf `index` in the tree of `size`, from stored complete subtrees. */
export function inclusionProof(_index: bigint, _size: bigint, _read: NodeReader): Uint8Array[] {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** The NodeIds a consistency proof from m to n reads. */
export function consistencyProofNodes(_m: bigint, _n: bigint): NodeId[] {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** RFC 9162 2.1.4 consistency proof from size m (>= 1) to size n (>= m). */
export function consistencyProof(_m: bigint, _n: bigint, _read: NodeReader): Uint8Array[] {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** The root hash of the tree of `size` from stored complete subtrees (O(log n) reads). */
export function rootAt(_size: bigint, _read: NodeReader): Uint8Array {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Verifies an inclusion proof (RFC 9162 2.1.3.2). Throws TlogError (PROOF_INVALID, BAD_RANGE, BAD_HASH_SIZE). */
export function verifyInclusion(
  _index: bigint,
  _size: bigint,
  _leafHash: Uint8Array,
  _proof: readonly Uint8Array[],
  _root: Uint8Array,
): void {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Verifies a consistency proof (RFC 9162 2.1.4.2). m = n with empty proof and equal roots is valid; m = 0 is BAD_RANGE. */
export function verifyConsistency(
  _m: bigint,
  _n: bigint,
  _root1: Uint8Array,
  _root2: Uint8Array,
  _proof: readonly Uint8Array[],
): void {
  throw new TlogError('MALFORMED', 'not implemented');
}

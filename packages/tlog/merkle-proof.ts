// Roots and proofs (RFC 9162 2.1.3 and 2.1.4) for any tree size, from stored complete subtrees.
//
// Each proof hash is the MTH of some range D[a:b] met while walking the RFC's recursion. Such a
// range is either a complete subtree (one stored node) or ends at the tree's right edge; the
// latter is tiled by the complete subtrees of b-a's set bits, and its hash is their fold. A "plan"
// lists, for each proof hash in order, the nodes it folds: the *Nodes functions flatten it and the
// proof functions read and fold it, so both always agree.
import { TlogError } from './errors.js';
import { emptyRoot, HASH_SIZE, nodeHash } from './hash.js';
import type { NodeId, NodeReader } from './merkle.js';
import { bigBitLength, checkTreeSize } from './merkle-bounds.js';

type Plan = NodeId[][];

/** The complete subtrees that tile [begin, end), largest first; begin must be aligned to the first. */
function rangeNodes(begin: bigint, end: bigint): NodeId[] {
  const out: NodeId[] = [];
  let at = begin;
  while (at < end) {
    // The largest power of two that both fits the rest and keeps `at` aligned.
    let level = bigBitLength(end - at) - 1;
    while (level > 0 && (at & ((1n << BigInt(level)) - 1n)) !== 0n) level--;
    out.push({ level, index: at >> BigInt(level) });
    at += 1n << BigInt(level);
  }
  return out;
}

/** The largest power of two strictly below n (n >= 2). */
function splitPoint(n: bigint): bigint {
  return 1n << BigInt(bigBitLength(n - 1n) - 1);
}

function read(readNode: NodeReader, id: NodeId): Uint8Array {
  const h = readNode(id.level, id.index);
  if (h.length !== HASH_SIZE) {
    throw new TlogError('BAD_HASH_SIZE', `stored node (${id.level}, ${id.index}) is ${h.length} bytes`);
  }
  return h;
}

/** MTH of a range from its tiling subtrees: H(n0, H(n1, ... H(nk-1, nk))). */
function fold(readNode: NodeReader, ids: readonly NodeId[]): Uint8Array {
  let i = ids.length - 1;
  let acc = read(readNode, ids[i]!);
  for (i--; i >= 0; i--) acc = nodeHash(read(readNode, ids[i]!), acc);
  return acc;
}

function inclusionPlan(index: bigint, size: bigint): Plan {
  checkTreeSize(size);
  if (index < 0n || index >= size)
    throw new TlogError('BAD_RANGE', `leaf index ${index} >= tree size ${size}`);
  const plan: Plan = [];
  let lo = 0n;
  let hi = size;
  while (hi - lo > 1n) {
    const mid = lo + splitPoint(hi - lo);
    if (index < mid) {
      plan.push(rangeNodes(mid, hi));
      hi = mid;
    } else {
      plan.push(rangeNodes(lo, mid));
      lo = mid;
    }
  }
  return plan.reverse();
}

function consistencyPlan(m: bigint, n: bigint): Plan {
  checkTreeSize(n);
  if (m <= 0n || m > n) throw new TlogError('BAD_RANGE', `consistency from ${m} to ${n}`);
  const plan: Plan = [];
  let lo = 0n;
  let hi = n;
  // RFC 9162 SUBPROOF's flag b: whether D[lo:lo+m'] is the old tree itself (whose root the
  // verifier already has) rather than a subtree of it.
  let whole = true;
  while (hi !== m) {
    const mid = lo + splitPoint(hi - lo);
    if (m <= mid) {
      plan.push(rangeNodes(mid, hi));
      hi = mid;
    } else {
      plan.push(rangeNodes(lo, mid));
      lo = mid;
      whole = false;
    }
  }
  if (!whole) plan.push(rangeNodes(lo, hi));
  return plan.reverse();
}

/** The stored nodes whose fold is the root of the tree of `size` (its compact range peaks). */
export function rootNodes(size: bigint): NodeId[] {
  checkTreeSize(size);
  return rangeNodes(0n, size);
}

/** The root hash of the tree of `size` from stored complete subtrees (O(log n) reads). */
export function rootAt(size: bigint, read: NodeReader): Uint8Array {
  const ids = rootNodes(size);
  return ids.length === 0 ? emptyRoot() : fold(read, ids);
}

/** The NodeIds an inclusion proof for (index, size) reads, so a store can fetch them in one go. */
export function inclusionProofNodes(index: bigint, size: bigint): NodeId[] {
  return inclusionPlan(index, size).flat();
}

/**
 * Remembers folded right-edge ranges (ranges that are not one complete subtree) of one tree size:
 * every inclusion proof for that size folds the same few (at most one per level), so a server
 * answering many proofs at its published size hashes each only once. Bounded: it holds one tree
 * size at a time and at most 64 ranges of it.
 */
export class EdgeFoldCache {
  #size = -1n;
  readonly #folds = new Map<string, Uint8Array>();

  /** The fold of `ids` (a range ending at `size`), computed once per (size, range). */
  fold(size: bigint, read: NodeReader, ids: readonly NodeId[]): Uint8Array {
    const first = ids[0];
    if (ids.length === 1 || first === undefined) return fold(read, ids);
    if (size !== this.#size || this.#folds.size >= 64) {
      this.#size = size;
      this.#folds.clear();
    }
    // The range's first subtree fixes its start and the tiling up to `size` is unique.
    const key = `${first.level}/${first.index}`;
    let h = this.#folds.get(key);
    if (h === undefined) {
      h = fold(read, ids);
      this.#folds.set(key, h);
    }
    return h;
  }
}

/**
 * RFC 9162 2.1.3 inclusion proof of leaf `index` in the tree of `size`, from stored complete
 * subtrees. With `edges`, right-edge folds are shared between calls for the same size.
 */
export function inclusionProof(
  index: bigint,
  size: bigint,
  read: NodeReader,
  edges?: EdgeFoldCache,
): Uint8Array[] {
  const plan = inclusionPlan(index, size);
  if (edges === undefined) return plan.map((ids) => fold(read, ids));
  return plan.map((ids) => (ids.length === 1 ? fold(read, ids) : edges.fold(size, read, ids)));
}

/** The NodeIds a consistency proof from m to n reads. */
export function consistencyProofNodes(m: bigint, n: bigint): NodeId[] {
  return consistencyPlan(m, n).flat();
}

/** RFC 9162 2.1.4 consistency proof from size m (>= 1) to size n (>= m). */
export function consistencyProof(m: bigint, n: bigint, read: NodeReader): Uint8Array[] {
  return consistencyPlan(m, n).map((ids) => fold(read, ids));
}

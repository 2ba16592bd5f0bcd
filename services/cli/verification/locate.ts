// Finds the first leaf where a re-derived tree departs from a signed one, so a failed audit can name
// an index rather than just "the roots differ". It descends from the signed root, learning the
// committed hashes of both children of each node from the server's inclusion proofs and
// authenticating them against the parent's hash: the server cannot steer the search with lies, only
// make it give up (then the caller reports the tree size alone).
import { CompactRange, nodeHash } from '../../../packages/tlog/index.js';

/** The server's inclusion proof of leaf `index` in the tree of `size` (untrusted). */
export type ProofFetcher = (index: bigint, size: bigint) => Promise<readonly Uint8Array[]>;

const equal = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** RFC 6962 split: the largest power of two smaller than n (n >= 2). */
function split(n: bigint): bigint {
  let k = 1n;
  while (k << 1n < n) k <<= 1n;
  return k;
}

/** Our hash of leaves [lo, hi), from the leaf hashes we derived. */
function subtreeHash(leafHashAt: (i: bigint) => Uint8Array, lo: bigint, hi: bigint): Uint8Array {
  let range = CompactRange.empty();
  for (let i = lo; i < hi; i++) range = range.append(leafHashAt(i));
  return range.root();
}

/** Depth of leaf `index` in the tree of `size`: the length of its inclusion proof. */
function pathLength(index: bigint, size: bigint): number {
  let depth = 0;
  let lo = 0n;
  let hi = size;
  while (hi - lo > 1n) {
    const k = split(hi - lo);
    if (index < lo + k) hi = lo + k;
    else lo += k;
    depth++;
  }
  return depth;
}

/** Leaves [from, to) hold a difference; from + 1 = to when it is pinned to one leaf. */
export interface DifferenceRange {
  from: bigint;
  to: bigint;
}

/**
 * The narrowest range of leaves, leftmost first, that holds a difference from the signed tree.
 * When the server's proofs stop authenticating (a ledger whose stored hashes were also altered),
 * the search stops at the last range it could prove; undefined when that is the whole tree.
 * Precondition: our root of [0, size) differs from signedRoot.
 */
export async function locateDifference(
  leafHashAt: (i: bigint) => Uint8Array,
  size: bigint,
  signedRoot: Uint8Array,
  fetchProof: ProofFetcher,
): Promise<DifferenceRange | undefined> {
  let lo = 0n;
  let hi = size;
  let committed = signedRoot;
  let depth = 0;
  // The sibling at `depth` on the path of `leaf`: the last proof element is the root's child.
  const siblingAt = async (leaf: bigint): Promise<Uint8Array | undefined> => {
    const proof = await fetchProof(leaf, size);
    if (proof.length !== pathLength(leaf, size)) return undefined;
    return proof[proof.length - 1 - depth];
  };
  const known = (): DifferenceRange | undefined =>
    lo === 0n && hi === size ? undefined : { from: lo, to: hi };
  try {
    while (hi - lo > 1n) {
      const k = split(hi - lo);
      const right = await siblingAt(lo);
      const left = await siblingAt(lo + k);
      if (left === undefined || right === undefined || !equal(nodeHash(left, right), committed))
        return known();
      if (!equal(subtreeHash(leafHashAt, lo, lo + k), left)) {
        hi = lo + k;
        committed = left;
      } else {
        lo += k;
        committed = right;
      }
      depth++;
    }
    return equal(leafHashAt(lo), committed) ? undefined : { from: lo, to: hi };
  } catch {
    return known();
  }
}

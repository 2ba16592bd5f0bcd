// The Merkle core against a naive RFC 6962 implementation written here (MTH, PATH and PROOF of
// sections 2.1.1-2.1.2, recursion as printed): every size up to EXHAUSTIVE_MAX with every index
// and every older size, then random huge trees (sparse, see `SparseTree`) and tampered proofs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { getCrypto } from './crypto.js';
import { TlogError } from './errors.js';
import { leafHash, nodeHash } from './hash.js';
import {
  consistencyProof,
  consistencyProofNodes,
  inclusionProof,
  inclusionProofNodes,
  type NodeId,
  type NodeReader,
  rootAt,
  rootNodes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { MemoryLog } from './testing.js';

/** Every (index, size) and (m, n) pair's proof is compared with the naive one up to this size. */
const EXHAUSTIVE_MAX = 300;
/** Every pair's proof is also verified up to this size; above it, a dense sample (1 in VERIFY_STRIDE). */
const VERIFY_ALL_MAX = 128n;
const VERIFY_STRIDE = 7n;
/** fast-check runs per property over huge sparse trees. */
const SPARSE_RUNS = 200;

const shouldVerify = (a: bigint, n: bigint) => n <= VERIFY_ALL_MAX || (a + n) % VERIFY_STRIDE === 0n;

/** The RFC's k: the largest power of two smaller than n (n > 1). */
function split(n: bigint): bigint {
  let k = 1n;
  while (k * 2n < n) k *= 2n;
  return k;
}

/**
 * RFC 6962 2.1 over leaves [lo, hi), given the hash of a leaf. `perfect` may short-cut a complete
 * aligned subtree (for huge sparse trees); by the MTH definition that changes nothing else.
 */
class NaiveTree {
  private readonly memo = new Map<string, Uint8Array>();
  constructor(
    private readonly leaf: (i: bigint) => Uint8Array,
    private readonly perfect?: (lo: bigint, hi: bigint) => Uint8Array | undefined,
  ) {}

  mth(lo: bigint, hi: bigint): Uint8Array {
    const key = `${lo}:${hi}`;
    let h = this.memo.get(key);
    if (h === undefined) {
      h = this.perfect?.(lo, hi);
      if (h === undefined) {
        if (hi - lo === 1n) h = this.leaf(lo);
        else {
          const k = split(hi - lo);
          h = nodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
        }
      }
      this.memo.set(key, h);
    }
    return h;
  }

  /** PATH(m, D[lo:hi]), leaf to root. */
  path(m: bigint, lo: bigint, hi: bigint): Uint8Array[] {
    if (hi - lo <= 1n) return [];
    const k = split(hi - lo);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  /** SUBPROOF(m, D[lo:hi], b). */
  subproof(m: bigint, lo: bigint, hi: bigint, b: boolean): Uint8Array[] {
    if (m === hi - lo) return b ? [] : [this.mth(lo, hi)];
    const k = split(hi - lo);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }
}

/**
 * A tree of any size without its leaves. Subtrees that hold none of the `focus` leaves are opaque
 * stand-ins (a pseudo-random function of their position); those that hold one are computed from
 * their children, so every node on a focus leaf's path is genuine. Proofs about focus leaves only
 * touch such nodes, so they must equal the naive ones over the same tree and verify against its
 * root. Cost is O(focus x depth), whatever the size.
 */
function sparseNode(level: number, index: bigint): Uint8Array {
  return getCrypto().sha256(new TextEncoder().encode(`sparse ${level} ${index}`));
}
function sparseTree(...focus: bigint[]): { read: NodeReader; naive: NaiveTree } {
  const memo = new Map<string, Uint8Array>();
  const read: NodeReader = (level, index) => {
    const lo = index << BigInt(level);
    const hi = lo + (1n << BigInt(level));
    if (level === 0 || !focus.some((f) => f >= lo && f < hi)) return sparseNode(level, index);
    const key = `${level}/${index}`;
    let h = memo.get(key);
    if (h === undefined) {
      h = nodeHash(read(level - 1, 2n * index), read(level - 1, 2n * index + 1n));
      memo.set(key, h);
    }
    return h;
  };
  const naive = new NaiveTree(
    (i) => read(0, i),
    (lo, hi) => {
      const width = hi - lo;
      if ((width & (width - 1n)) !== 0n || lo % width !== 0n) return undefined;
      return read(width.toString(2).length - 1, lo / width);
    },
  );
  return { read, naive };
}

function isTlogError(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof TlogError) return true;
    throw e;
  }
}

/** Reads the ids the computation touches, to compare with what the *Nodes function promised. */
function recording(read: NodeReader): { read: NodeReader; ids: string[] } {
  const ids: string[] = [];
  return {
    ids,
    read: (level, index) => {
      ids.push(`${level}/${index}`);
      return read(level, index);
    },
  };
}
const idKeys = (ids: NodeId[]) => ids.map((id) => `${id.level}/${id.index}`).sort();

/** Hash lists as one hex string: far cheaper than deepEqual over 90,000 proofs, same verdict. */
const hexes = (hashes: readonly Uint8Array[]) => hashes.map((h) => Buffer.from(h).toString('hex')).join(',');

describe('Merkle core against a naive RFC 6962 implementation', () => {
  describe(`every tree up to ${EXHAUSTIVE_MAX} leaves`, () => {
    const leaves = Array.from({ length: EXHAUSTIVE_MAX }, (_, i) => new TextEncoder().encode(`leaf ${i}`));
    const naive = new NaiveTree((i) => leafHash(leaves[Number(i)]!));
    const store = new MemoryLog();
    const roots: Uint8Array[] = [];

    it('gives the RFC root for every size, incrementally and from stored nodes', () => {
      roots.push(store.range.root());
      for (const leaf of leaves) {
        store.appendLeaf(leaf);
        roots.push(store.range.root());
      }
      for (let n = 1n; n <= BigInt(EXHAUSTIVE_MAX); n++) {
        assert.deepEqual(roots[Number(n)], naive.mth(0n, n));
        const r = recording(store.read);
        assert.deepEqual(rootAt(n, r.read), roots[Number(n)]);
        assert.deepEqual(r.ids.sort(), idKeys(rootNodes(n)));
      }
    });

    it('stores exactly every complete subtree, each with its RFC hash', () => {
      let expected = 0;
      for (let level = 0; 1 << level <= EXHAUSTIVE_MAX; level++)
        expected += Math.floor(EXHAUSTIVE_MAX / (1 << level));
      assert.equal(store.nodes.size, expected);
      for (const [key, hash] of store.nodes) {
        const [level, index] = key.split('/').map(BigInt) as [bigint, bigint];
        assert.deepEqual(hash, naive.mth(index << level, (index + 1n) << level), key);
      }
    });

    it('gives the RFC PATH for every (index, size), which verifies (densely sampled above 128), reading only the promised nodes', () => {
      for (let n = 1n; n <= BigInt(EXHAUSTIVE_MAX); n++) {
        const root = roots[Number(n)]!;
        for (let i = 0n; i < n; i++) {
          const r = recording(store.read);
          const proof = inclusionProof(i, n, r.read);
          assert.equal(hexes(proof), hexes(naive.path(i, 0n, n)), `PATH(${i}, ${n})`);
          const promised = inclusionProofNodes(i, n);
          assert.deepEqual(r.ids.sort(), idKeys(promised));
          assert.ok(promised.length <= 2 * n.toString(2).length);
          if (shouldVerify(i, n)) verifyInclusion(i, n, store.read(0, i), proof, root);
        }
      }
    });

    it('gives the RFC PROOF for every (m, n), which verifies (densely sampled above 128), reading only the promised nodes', () => {
      for (let n = 1n; n <= BigInt(EXHAUSTIVE_MAX); n++) {
        for (let m = 1n; m <= n; m++) {
          const r = recording(store.read);
          const proof = consistencyProof(m, n, r.read);
          assert.equal(hexes(proof), hexes(naive.subproof(m, 0n, n, true)), `PROOF(${m}, ${n})`);
          assert.deepEqual(r.ids.sort(), idKeys(consistencyProofNodes(m, n)));
          if (shouldVerify(m, n)) verifyConsistency(m, n, roots[Number(m)]!, roots[Number(n)]!, proof);
        }
      }
    });
  });

  describe('random huge trees (sparse stand-in subtrees)', () => {
    const size = fc.bigInt({ min: 1n, max: 1n << 62n });

    it('inclusion proofs equal PATH and verify', () => {
      fc.assert(
        fc.property(size, fc.bigInt({ min: 0n, max: (1n << 62n) - 1n }), (n, seed) => {
          const i = seed % n;
          const { read, naive } = sparseTree(i);
          const proof = inclusionProof(i, n, read);
          assert.deepEqual(proof, naive.path(i, 0n, n));
          const root = rootAt(n, read);
          assert.deepEqual(root, naive.mth(0n, n));
          verifyInclusion(i, n, sparseNode(0, i), proof, root);
        }),
        { numRuns: SPARSE_RUNS },
      );
    });

    it('consistency proofs equal PROOF and verify', () => {
      fc.assert(
        fc.property(size, fc.bigInt({ min: 0n, max: (1n << 62n) - 1n }), (n, seed) => {
          const m = (seed % n) + 1n;
          const { read, naive } = sparseTree(m - 1n, n - 1n);
          const proof = consistencyProof(m, n, read);
          assert.deepEqual(proof, naive.subproof(m, 0n, n, true));
          assert.deepEqual(rootAt(m, read), naive.mth(0n, m));
          verifyConsistency(m, n, rootAt(m, read), rootAt(n, read), proof);
        }),
        { numRuns: SPARSE_RUNS },
      );
    });

    it('sizes near 1e5 agree with PATH and PROOF as well', () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: 1n, max: 100_000n }),
          fc.bigInt({ min: 0n, max: 99_999n }),
          (n, seed) => {
            const i = seed % n;
            const { read, naive } = sparseTree(i, n - 1n);
            const proof = inclusionProof(i, n, read);
            assert.deepEqual(proof, naive.path(i, 0n, n));
            verifyInclusion(i, n, sparseNode(0, i), proof, rootAt(n, read));
            const cproof = consistencyProof(i + 1n, n, read);
            assert.deepEqual(cproof, naive.subproof(i + 1n, 0n, n, true));
            verifyConsistency(i + 1n, n, rootAt(i + 1n, read), rootAt(n, read), cproof);
          },
        ),
        { numRuns: SPARSE_RUNS },
      );
    });
  });

  describe('tampered proofs', () => {
    const size = fc.bigInt({ min: 2n, max: 1n << 40n });
    const flip = (proof: Uint8Array[], which: number, bit: number) =>
      proof.map((p, k) => {
        if (k !== which % proof.length) return p;
        const q = p.slice();
        q[bit >> 3]! ^= 1 << (bit & 7);
        return q;
      });

    it('rejects every altered inclusion proof', () => {
      fc.assert(
        fc.property(
          size,
          fc.bigInt({ min: 0n, max: 1n << 40n }),
          fc.nat(),
          fc.nat(255),
          (n, seed, which, bit) => {
            const i = seed % n;
            const { read } = sparseTree(i);
            const proof = inclusionProof(i, n, read);
            const root = rootAt(n, read);
            const leaf = sparseNode(0, i);
            verifyInclusion(i, n, leaf, proof, root);
            const check = (idx: bigint, sz: bigint, l: Uint8Array, p: Uint8Array[], r: Uint8Array) =>
              assert.ok(isTlogError(() => verifyInclusion(idx, sz, l, p, r)));
            if (proof.length > 0) {
              check(i, n, leaf, flip(proof, which, bit), root);
              check(i, n, leaf, proof.slice(1), root);
              check(i, n, leaf, proof.slice(0, -1), root);
            }
            check(i, n, leaf, [...proof, leaf], root);
            check(i, n, leaf, [leaf, ...proof], root);
            check((i + 1n + (BigInt(which) % (n - 1n))) % n, n, leaf, proof, root);
            const other = n + 1n + BigInt(which % 1000);
            check(i, other, leaf, proof, rootAt(other, read));
            check(
              i,
              n,
              leaf.map((b, k) => (k === bit >> 3 ? b ^ (1 << (bit & 7)) : b)),
              proof,
              root,
            );
          },
        ),
        { numRuns: SPARSE_RUNS },
      );
    });

    it('rejects every altered consistency proof', () => {
      fc.assert(
        fc.property(
          size,
          fc.bigInt({ min: 0n, max: 1n << 40n }),
          fc.nat(),
          fc.nat(255),
          (n, seed, which, bit) => {
            const m = (seed % (n - 1n)) + 1n; // m < n, so the proof is never empty
            const { read } = sparseTree(m - 1n, n - 1n);
            const proof = consistencyProof(m, n, read);
            const [r1, r2] = [rootAt(m, read), rootAt(n, read)];
            verifyConsistency(m, n, r1, r2, proof);
            const check = (a: bigint, b: bigint, x: Uint8Array, y: Uint8Array, p: Uint8Array[]) =>
              assert.ok(isTlogError(() => verifyConsistency(a, b, x, y, p)));
            check(m, n, r1, r2, flip(proof, which, bit));
            check(m, n, r1, r2, proof.slice(1));
            check(m, n, r1, r2, proof.slice(0, -1));
            check(m, n, r1, r2, [...proof, r1]);
            check(m, n, r1, r2, [r1, ...proof]);
            check(m, n, r2, r1, proof);
            const m2 = m + 1n + BigInt(which % 100);
            if (m2 < n) check(m2, n, rootAt(m2, read), r2, proof);
            const n2 = n + 1n + BigInt(which % 100);
            check(m, n2, r1, rootAt(n2, read), proof);
          },
        ),
        { numRuns: SPARSE_RUNS },
      );
    });
  });
});

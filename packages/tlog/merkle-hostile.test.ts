// Hostile input to the Merkle core: every bad hash length, size, index and encoded range is a
// typed TlogError before any hashing, never a crash or a wrong answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TlogError } from './errors.js';
import { leafHash } from './hash.js';
import {
  CompactRange,
  consistencyProof,
  consistencyProofNodes,
  inclusionProof,
  inclusionProofNodes,
  MAX_TREE_SIZE,
  rootAt,
  rootNodes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { MemoryLog, throwsCode } from './testing.js';

const H = (b: number) => new Uint8Array(32).fill(b);
const store = new MemoryLog();
for (let i = 0; i < 8; i++) store.appendLeaf(new Uint8Array([i]));
const root8 = store.range.root();
const proof3 = inclusionProof(3n, 8n, store.read);
const leaf3 = store.read(0, 3n);
const root5 = rootAt(5n, store.read);
const cproof = consistencyProof(5n, 8n, store.read);

describe('verifyInclusion with hostile input', () => {
  for (const len of [0, 1, 31, 33, 64]) {
    it(`rejects a ${len}-byte leaf hash, root or proof hash with BAD_HASH_SIZE`, () => {
      const bad = new Uint8Array(len);
      throwsCode(() => verifyInclusion(3n, 8n, bad, proof3, root8), 'BAD_HASH_SIZE');
      throwsCode(() => verifyInclusion(3n, 8n, leaf3, proof3, bad), 'BAD_HASH_SIZE');
      throwsCode(() => verifyInclusion(3n, 8n, leaf3, [proof3[0]!, bad, proof3[2]!], root8), 'BAD_HASH_SIZE');
    });
  }

  const ranges: [string, bigint, bigint][] = [
    ['index = size', 8n, 8n],
    ['index > size', 9n, 8n],
    ['a negative index', -1n, 8n],
    ['size 0', 0n, 0n],
    ['a negative size', 0n, -8n],
    ['size 2^63', 3n, 1n << 63n],
    ['size 2^64-1', 3n, (1n << 64n) - 1n],
    ['size 2^64', 3n, 1n << 64n],
  ];
  for (const [what, index, size] of ranges) {
    it(`rejects ${what} with BAD_RANGE`, () => {
      throwsCode(() => verifyInclusion(index, size, leaf3, proof3, root8), 'BAD_RANGE');
    });
  }

  it('rejects a proof of the wrong length with PROOF_INVALID before hashing', () => {
    throwsCode(() => verifyInclusion(3n, 8n, leaf3, [], root8), 'PROOF_INVALID');
    throwsCode(() => verifyInclusion(3n, 8n, leaf3, Array(10_000).fill(H(1)), root8), 'PROOF_INVALID');
  });

  it('accepts the largest size, and rejects a forged proof there', () => {
    const proof = Array.from({ length: 63 }, (_, i) => H(i));
    throwsCode(() => verifyInclusion(MAX_TREE_SIZE - 1n, MAX_TREE_SIZE, H(0), proof, H(9)), 'PROOF_INVALID');
  });

  it('never throws anything but a TlogError on arbitrary input', () => {
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 40 });
    fc.assert(
      fc.property(
        fc.bigInt(),
        fc.bigInt(),
        bytes,
        fc.array(bytes, { maxLength: 70 }),
        bytes,
        (i, n, l, p, r) => {
          try {
            verifyInclusion(i, n, l, p, r);
            assert.fail('forged proof verified');
          } catch (e) {
            assert.ok(e instanceof TlogError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('verifyConsistency with hostile input', () => {
  for (const len of [0, 31, 33]) {
    it(`rejects ${len}-byte roots and proof hashes with BAD_HASH_SIZE`, () => {
      const bad = new Uint8Array(len);
      throwsCode(() => verifyConsistency(5n, 8n, bad, root8, cproof), 'BAD_HASH_SIZE');
      throwsCode(() => verifyConsistency(5n, 8n, root5, bad, cproof), 'BAD_HASH_SIZE');
      throwsCode(() => verifyConsistency(5n, 8n, root5, root8, [...cproof.slice(1), bad]), 'BAD_HASH_SIZE');
      throwsCode(() => verifyConsistency(8n, 8n, bad, bad, []), 'BAD_HASH_SIZE');
    });
  }

  const ranges: [string, bigint, bigint][] = [
    ['m = 0', 0n, 8n],
    ['m = n = 0', 0n, 0n],
    ['m > n', 9n, 8n],
    ['a negative m', -1n, 8n],
    ['n = 2^63', 5n, 1n << 63n],
    ['n = 2^64', 5n, 1n << 64n],
  ];
  for (const [what, m, n] of ranges) {
    it(`rejects ${what} with BAD_RANGE`, () => {
      throwsCode(() => verifyConsistency(m, n, root5, root8, cproof), 'BAD_RANGE');
    });
  }

  it('rejects wrong lengths and mismatches with PROOF_INVALID', () => {
    throwsCode(() => verifyConsistency(5n, 8n, root5, root8, []), 'PROOF_INVALID');
    throwsCode(() => verifyConsistency(5n, 8n, root5, root8, Array(5000).fill(H(1))), 'PROOF_INVALID');
    throwsCode(() => verifyConsistency(8n, 8n, root8, root8, [root8]), 'PROOF_INVALID');
    throwsCode(() => verifyConsistency(8n, 8n, root8, root5, []), 'PROOF_INVALID');
    verifyConsistency(8n, 8n, root8, root8, []);
  });

  it('never throws anything but a TlogError on arbitrary input', () => {
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 40 });
    fc.assert(
      fc.property(
        fc.bigInt(),
        fc.bigInt(),
        bytes,
        bytes,
        fc.array(bytes, { maxLength: 70 }),
        (m, n, a, b, p) => {
          try {
            verifyConsistency(m, n, a, b, p);
            assert.ok(m === n && m > 0n && p.length === 0, 'only equal sizes can verify by chance');
          } catch (e) {
            assert.ok(e instanceof TlogError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('proof generation with hostile input', () => {
  it('rejects out-of-range indexes and sizes with BAD_RANGE', () => {
    throwsCode(() => inclusionProof(8n, 8n, store.read), 'BAD_RANGE');
    throwsCode(() => inclusionProofNodes(-1n, 8n), 'BAD_RANGE');
    throwsCode(() => inclusionProofNodes(0n, 1n << 63n), 'BAD_RANGE');
    throwsCode(() => consistencyProof(0n, 8n, store.read), 'BAD_RANGE');
    throwsCode(() => consistencyProofNodes(9n, 8n), 'BAD_RANGE');
    throwsCode(() => consistencyProofNodes(1n, 1n << 64n), 'BAD_RANGE');
    throwsCode(() => rootNodes(-1n), 'BAD_RANGE');
    throwsCode(() => rootAt(1n << 63n, store.read), 'BAD_RANGE');
  });

  it('gives an empty consistency proof between equal sizes', () => {
    assert.deepEqual(consistencyProof(8n, 8n, store.read), []);
  });

  it('passes on MISSING_NODE from the reader, and rejects stored hashes of the wrong size', () => {
    throwsCode(() => inclusionProof(3n, 9n, store.read), 'MISSING_NODE');
    throwsCode(() => rootAt(16n, store.read), 'MISSING_NODE');
    throwsCode(() => rootAt(8n, () => new Uint8Array(31)), 'BAD_HASH_SIZE');
  });

  it('plans O(log n) reads at the largest size', () => {
    const ids = inclusionProofNodes(MAX_TREE_SIZE - 2n, MAX_TREE_SIZE);
    assert.ok(ids.length <= 2 * 63);
    assert.ok(consistencyProofNodes(MAX_TREE_SIZE - 5n, MAX_TREE_SIZE).length <= 2 * 63);
    assert.equal(rootNodes(MAX_TREE_SIZE).length, 63);
  });
});

describe('CompactRange with hostile state', () => {
  it('round-trips through encode and decode at every size up to 64', () => {
    let r = CompactRange.empty();
    for (let i = 0; i < 64; i++) {
      const d = CompactRange.decode(r.encode());
      assert.equal(d.size, r.size);
      assert.deepEqual(d.root(), r.root());
      assert.equal(r.encode().length, 8 + 32 * d.peaks.length);
      r = r.append(leafHash(new Uint8Array([i])));
    }
  });

  it('rejects truncated, padded and inconsistent encodings with MALFORMED', () => {
    const good = store.range.encode(); // size 8: one peak
    throwsCode(() => CompactRange.decode(new Uint8Array(0)), 'MALFORMED');
    throwsCode(() => CompactRange.decode(good.subarray(0, 7)), 'MALFORMED');
    throwsCode(() => CompactRange.decode(good.subarray(0, good.length - 1)), 'MALFORMED');
    throwsCode(() => CompactRange.decode(new Uint8Array([...good, 0])), 'MALFORMED');
    const wrongCount = good.slice();
    wrongCount[7] = 7; // size 7 needs three peaks
    throwsCode(() => CompactRange.decode(wrongCount), 'MALFORMED');
    const huge = new Uint8Array(8 + 32).fill(0xff); // size 2^64-1
    throwsCode(() => CompactRange.decode(huge), 'MALFORMED');
  });

  it('never throws anything but MALFORMED on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          const r = CompactRange.decode(bytes);
          assert.deepEqual(r.encode(), bytes);
        } catch (e) {
          assert.ok(e instanceof TlogError && e.code === 'MALFORMED');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('checks fromState: peak count, hash sizes and size range', () => {
    throwsCode(() => CompactRange.fromState(7n, [H(1)]), 'MALFORMED');
    throwsCode(() => CompactRange.fromState(1n, [new Uint8Array(33)]), 'BAD_HASH_SIZE');
    throwsCode(() => CompactRange.fromState(-1n, []), 'BAD_RANGE');
    throwsCode(() => CompactRange.fromState(1n << 63n, []), 'BAD_RANGE');
    const full = CompactRange.fromState(
      MAX_TREE_SIZE,
      Array.from({ length: 63 }, () => H(2)),
    );
    throwsCode(() => full.append(H(3)), 'BAD_RANGE');
    assert.deepEqual(CompactRange.fromState(8n, store.range.peaks).root(), root8);
  });

  it('rejects leaf hashes that are not 32 bytes', () => {
    throwsCode(() => CompactRange.empty().append(new Uint8Array(31)), 'BAD_HASH_SIZE');
  });

  it('reports each new complete subtree bottom up, and is immutable', () => {
    const seen: string[] = [];
    const before = CompactRange.fromState(7n, [H(1), H(2), H(3)]);
    const after = before.append(H(4), (level, index) => seen.push(`${level}/${index}`));
    assert.deepEqual(seen, ['0/7', '1/3', '2/1', '3/0']);
    assert.equal(before.size, 7n);
    assert.equal(before.peaks.length, 3);
    assert.equal(after.peaks.length, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { InclusionProofSchema } from '../../packages/proto/index.js';
import { encodeInclusionProof } from './inclusion-proof-fast.js';

describe('encodeInclusionProof', () => {
  it('writes exactly what protobuf-es writes', () => {
    const values = [
      0n,
      1n,
      127n,
      128n,
      300n,
      16_383n,
      16_384n,
      1n << 32n,
      999_999n,
      BigInt(Number.MAX_SAFE_INTEGER),
    ];
    for (const index of values) {
      for (const treeSize of values) {
        for (const n of [0, 1, 20, 63]) {
          const hashes = Array.from({ length: n }, (_, k) => new Uint8Array(32).fill(k));
          const got = encodeInclusionProof(index, treeSize, hashes);
          assert.ok(got instanceof Uint8Array);
          const want = toBinary(
            InclusionProofSchema,
            create(InclusionProofSchema, { index, treeSize, hashes }),
          );
          assert.deepEqual(Buffer.from(got), Buffer.from(want), `${index} ${treeSize} ${n}`);
          const back = fromBinary(InclusionProofSchema, got);
          assert.equal(back.index, index);
          assert.equal(back.treeSize, treeSize);
          assert.equal(back.hashes.length, n);
        }
      }
    }
  });

  it('leaves values beyond 2^53 and odd hash lengths to protobuf-es', () => {
    const big = encodeInclusionProof(1n << 60n, 1n << 61n, [new Uint8Array(32)]);
    assert.ok(!(big instanceof Uint8Array));
    const odd = encodeInclusionProof(1n, 2n, [new Uint8Array(31)]);
    assert.ok(!(odd instanceof Uint8Array));
  });
});

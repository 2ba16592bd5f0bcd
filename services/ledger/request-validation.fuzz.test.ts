// Property-based fuzzing of the gRPC request checks: any numbers a client can put in a request end
// in a bounded target or INVALID_ARGUMENT / OUT_OF_RANGE, never another status or an exception,
// and never a target beyond the published tree. FUZZ_RUNS sets the runs per property.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import type {
  GetConsistencyProofRequest,
  GetEntriesRequest,
  GetInclusionProofRequest,
} from '../../packages/proto/index.js';
import { RpcError } from '../../packages/rpc/index.js';
import {
  checkConsistencyRequest,
  checkEntriesRequest,
  checkInclusionRequest,
  MAX_ENTRIES_PER_CALL,
} from './request-validation.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 40n }));

function refusedCleanly(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (
      err instanceof RpcError &&
      (err.code === status.INVALID_ARGUMENT || err.code === status.OUT_OF_RANGE)
    ) {
      return true;
    }
    throw err;
  }
}

describe('fuzzing the gRPC request checks', { timeout: 120_000 + RUNS * 10 }, () => {
  it('GetInclusionProof', () => {
    const leaf = fc.oneof(
      u64.map((value) => ({ case: 'index' as const, value })),
      fc.uint8Array({ maxLength: 40 }).map((value) => ({ case: 'leafHash' as const, value })),
      fc.constant({ case: undefined }),
    );
    fc.assert(
      fc.property(u64, u64, leaf, (treeSize, published, l) =>
        refusedCleanly(() => {
          const t = checkInclusionRequest(
            { treeSize, leaf: l } as unknown as GetInclusionProofRequest,
            published,
          );
          assert.ok(t.size <= published && t.size > 0n);
          if ('index' in t) assert.ok(t.index < t.size);
          else assert.equal(t.leafHash.length, 32);
        }),
      ),
      { numRuns: RUNS },
    );
  });

  it('GetConsistencyProof', () => {
    fc.assert(
      fc.property(u64, u64, u64, (fromSize, toSize, published) =>
        refusedCleanly(() => {
          const r = checkConsistencyRequest({ fromSize, toSize } as GetConsistencyProofRequest, published);
          assert.ok(r.from >= 1n && r.from <= r.to && r.to <= published);
        }),
      ),
      { numRuns: RUNS },
    );
  });

  it('GetEntries', () => {
    fc.assert(
      fc.property(u64, u64, u64, (start, end, published) =>
        refusedCleanly(() => {
          const r = checkEntriesRequest({ start, end } as GetEntriesRequest, published);
          assert.ok(r.start < r.end && r.end <= published && r.end - r.start <= MAX_ENTRIES_PER_CALL);
        }),
      ),
      { numRuns: RUNS },
    );
  });
});

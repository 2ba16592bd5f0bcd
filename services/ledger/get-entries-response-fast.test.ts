import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { GetEntriesResponseSchema } from '../../packages/proto/index.js';
import type { LedgerAnswer } from './encoded-answer.js';
import { type EntryFields, encodeEntries } from './get-entries-response-fast.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('encodeEntries', () => {
  it('writes exactly what protobuf-es writes', () => {
    const indexes = [0n, 1n, 127n, 128n, 16_384n, 1n << 32n, BigInt(Number.MAX_SAFE_INTEGER)];
    const leaves = [bytes(0, 0), bytes(1, 1), bytes(127, 2), bytes(128, 3), bytes(70_000, 4)];
    const hashes = [bytes(0, 0), bytes(32, 5), bytes(31, 6)];
    const bodySets: EntryFields['bodies'][] = [
      [],
      [{ sha256: 'ab'.repeat(32), data: bytes(200, 7) }],
      [
        { sha256: '', data: bytes(0, 0) },
        { sha256: 'é', data: bytes(1, 8) },
      ],
    ];
    const all: EntryFields[] = [];
    for (const index of indexes)
      for (const leaf of leaves)
        for (const leafHash of hashes)
          for (const bodies of bodySets) {
            const one = [{ index, leaf, leafHash, bodies }];
            const want = toBinary(
              GetEntriesResponseSchema,
              create(GetEntriesResponseSchema, { entries: one }),
            );
            assert.deepEqual(Buffer.from(encodeEntries(one) ?? []), Buffer.from(want));
            all.push(one[0] as EntryFields);
          }
    const want = toBinary(GetEntriesResponseSchema, create(GetEntriesResponseSchema, { entries: all }));
    assert.deepEqual(Buffer.from(encodeEntries(all) ?? []), Buffer.from(want));
    assert.deepEqual(encodeEntries([]), new Uint8Array(0));
  });

  it('leaves indexes beyond 2^53 to protobuf-es', () => {
    const e = { index: 1n << 60n, leaf: bytes(1, 1), leafHash: bytes(32, 1), bodies: [] };
    assert.equal(encodeEntries([e]), undefined);
  });

  it('is typed as the GetEntries answer, which no other method may return (checked by tsc)', () => {
    const body = encodeEntries([]);
    assert.ok(body !== undefined);
    const entries: LedgerAnswer<'getEntries'> = body;
    // @ts-expect-error a GetEntries body is not an InclusionProof answer
    const proof: LedgerAnswer<'getInclusionProof'> = body;
    // @ts-expect-error nor a Checkpoint answer
    const checkpoint: LedgerAnswer<'getCheckpoint'> = body;
    // @ts-expect-error bytes no encoder branded answer no method
    const raw: LedgerAnswer<'getEntries'> = new Uint8Array(0);
    assert.deepEqual(
      [entries, proof, checkpoint, raw].map((b) => (b as Uint8Array).length),
      [0, 0, 0, 0],
    );
  });
});

// The audit phases on their own, against a log held in memory: what each reports, and whether the
// pass may go on after it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CompactRange,
  consistencyProof,
  inclusionProof,
  leafHash,
} from '../../../packages/tlog/index.js';
import { MemoryLog } from '../../../packages/tlog/testing.js';
import type { VerifiedCheckpoint } from '../verification/checkpoint-check.js';
import { VerificationError } from '../verification/errors.js';
import { FailureList } from './failures.js';
import type { LogSource } from './log-source.js';
import { compareRoots } from './root-compare.js';
import type { AuditState } from './state.js';
import { checkAgainstTrusted } from './trusted-check.js';

const ORIGIN = 'example.com/phases';

function log(n: number, tag = 'leaf'): MemoryLog {
  const s = new MemoryLog();
  for (let i = 0; i < n; i++) s.appendLeaf(new TextEncoder().encode(`${tag} ${i}`));
  return s;
}

function verified(range: CompactRange, origin = ORIGIN): VerifiedCheckpoint {
  const checkpoint = { origin, size: range.size, rootHash: range.root(), extensions: [] };
  return { checkpoint, cosigners: [], logVkey: '', note: '' } as unknown as VerifiedCheckpoint;
}

function stateOf(range: CompactRange, origin = ORIGIN): AuditState {
  return { origin, size: range.size, rootHash: range.root(), checkpoint: '', range, updatedAt: '' };
}

/** Proofs from `s`; entries are not needed by these phases. */
function sourceOf(s: MemoryLog): LogSource {
  return {
    checkpoint: async () => '',
    entries: async () => {
      throw new Error('not used');
    },
    consistencyProof: async (m, n) => consistencyProof(m, n, s.read),
    inclusionProof: async (i, n) => inclusionProof(i, n, s.read),
  };
}

const codes = (f: FailureList) => f.sorted().map((e) => e.code);

describe('the trusted-state phase', () => {
  const old = log(5).range;
  const now = log(9);

  const cases: [string, AuditState, VerifiedCheckpoint, boolean, string[]][] = [
    // [what, trusted, checkpoint, goes on, failure codes]
    ['a log that grew from the trusted tree goes on', stateOf(old), verified(now.range), true, []],
    ['the same checkpoint goes on', stateOf(now.range), verified(now.range), true, []],
    ['another origin stops the pass', stateOf(old, 'other/log'), verified(now.range), false, ['ORIGIN']],
    ['a shrunk log stops the pass', stateOf(now.range), verified(old), false, ['ROLLBACK']],
    [
      'another root at the same size stops the pass',
      stateOf(log(9, 'fork').range),
      verified(now.range),
      false,
      ['ROLLBACK'],
    ],
  ];
  for (const [what, trusted, vc, goesOn, want] of cases) {
    it(what, async () => {
      const found = new FailureList(10);
      assert.equal(await checkAgainstTrusted(sourceOf(now), trusted, vc, false, found.fail), goesOn);
      assert.deepEqual(codes(found), want);
    });
  }

  it('reports a bad consistency proof, and stops the pass only when resuming', async () => {
    const rewritten = stateOf(log(5, 'rewritten').range);
    for (const resume of [false, true]) {
      const found = new FailureList(10);
      assert.equal(
        await checkAgainstTrusted(sourceOf(now), rewritten, verified(now.range), resume, found.fail),
        !resume,
      );
      assert.deepEqual(codes(found), ['CONSISTENCY']);
      assert.equal(found.sorted()[0]?.size, 5n);
    }
  });
});

describe('the root phase', () => {
  const honest = log(12);

  it('reports nothing when the rebuilt root is the checkpoint root', async () => {
    const found = new FailureList(10);
    await compareRoots(
      sourceOf(honest),
      verified(honest.range).checkpoint,
      honest.range,
      undefined,
      found.fail,
    );
    assert.deepEqual(codes(found), []);
  });

  it('names the one entry that differs when every leaf hash is kept', async () => {
    const hashes = new Uint8Array(12 * 32);
    const tampered = new MemoryLog();
    for (let i = 0; i < 12; i++) {
      const h = leafHash(new TextEncoder().encode(i === 7 ? 'tampered' : `leaf ${i}`));
      hashes.set(h, i * 32);
      tampered.appendHash(h);
    }
    const found = new FailureList(10);
    await compareRoots(
      sourceOf(honest),
      verified(honest.range).checkpoint,
      tampered.range,
      hashes,
      found.fail,
    );
    const [f] = found.sorted();
    assert.equal(f?.code, 'TREE');
    assert.equal(f?.index, 7n);
    assert.equal(f?.size, 12n);
  });

  it('reports the size only without the leaf hashes', async () => {
    const found = new FailureList(10);
    await compareRoots(
      sourceOf(honest),
      verified(honest.range).checkpoint,
      log(12, 'x').range,
      undefined,
      found.fail,
    );
    const [f] = found.sorted();
    assert.equal(f?.code, 'TREE');
    assert.equal(f?.index, undefined);
  });
});

describe('the failure list', () => {
  it('keeps the first failures up to its cap, in log order, and says it dropped the rest', () => {
    const found = new FailureList(2);
    found.fail(new VerificationError('LEAF', 'c', 9n));
    found.fail(new VerificationError('ROLLBACK', 'b', undefined, 3n));
    found.fail(new VerificationError('LEAF', 'dropped', 1n));
    assert.deepEqual(
      found.sorted().map((e) => e.message),
      ['b', 'c'],
    );
    assert.equal(found.truncated, true);
  });
});

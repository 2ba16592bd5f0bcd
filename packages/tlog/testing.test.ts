// The shared in-memory log holds itself to this package's verifiers: its checkpoints meet its own
// policy, and its proofs verify against its roots, so tests built on it start from an honest log.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompactRange,
  generateKey,
  leafHash,
  parsePolicy,
  verifyCheckpointNote,
  verifyConsistency,
  verifyInclusion,
} from './index.js';
import { MemoryLog } from './testing.js';

const witnesses = ['w1', 'w2'].map((name) => ({ name, key: generateKey(`example.com/${name}`) }));

describe('the shared in-memory log', () => {
  it('signs and cosigns checkpoints its own policy accepts', () => {
    for (const ws of [[], witnesses.slice(0, 1), witnesses]) {
      const log = new MemoryLog({ logKey: generateKey('example.com/log'), witnesses: ws }).append('a', 'b');
      const v = verifyCheckpointNote(log.checkpoint(), parsePolicy(log.policy()));
      assert.equal(v.checkpoint.size, 2n);
      assert.deepEqual(v.cosigners.sort(), ws.map((w) => w.name).sort());
    }
  });

  it('serves inclusion and consistency proofs that verify against its roots', () => {
    const log = new MemoryLog();
    for (let i = 0; i < 21; i++) log.append(`leaf ${i}`);
    for (let m = 1n; m <= log.size; m++) {
      verifyConsistency(m, log.size, log.root(m), log.root(), log.consistencyProof(m));
      const leaf = log.leaves[Number(m - 1n)] as Uint8Array;
      verifyInclusion(m - 1n, log.size, leafHash(leaf), log.inclusionProof(m - 1n), log.root());
    }
    assert.deepEqual(log.consistencyProof(0n), []);
    assert.deepEqual(log.consistencyProof(log.size), []);
  });

  it('keeps the same tree whether leaves or their hashes are appended', () => {
    const byLeaf = new MemoryLog().append('x', 'y', 'z');
    const byHash = new MemoryLog();
    for (const l of ['x', 'y', 'z']) byHash.appendHash(leafHash(new TextEncoder().encode(l)));
    assert.deepEqual(byHash.root(), byLeaf.root());
    assert.deepEqual(byLeaf.root(0n), CompactRange.empty().root());
    assert.equal(byLeaf.appendLeaf(new Uint8Array([1])), 3n);
    assert.throws(() => byHash.root(4n));
  });
});

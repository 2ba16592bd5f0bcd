import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactRange, leafHash } from '../../../packages/tlog/index.js';
import { TreeBuilder } from './tree-builder.js';

const leaf = (i: number) => leafHash(new TextEncoder().encode(`leaf ${i}`));

describe('TreeBuilder', () => {
  it('builds the same compact range as CompactRange.append, from any starting size', () => {
    for (const start of [0, 1, 2, 3, 7, 8, 13, 64]) {
      let want = CompactRange.empty();
      for (let i = 0; i < start; i++) want = want.append(leaf(i));
      const tree = new TreeBuilder(want);
      const n = 140;
      const hashes = new Uint8Array(n * 32);
      for (let i = 0; i < n; i++) hashes.set(leaf(start + i), i * 32);
      // Appended in uneven pieces, as answers of varying length arrive.
      for (let at = 0; at < n; ) {
        const to = Math.min(n, at + 1 + (at % 11));
        tree.appendHashes(hashes, at, to);
        for (let i = at; i < to; i++) want = want.append(leaf(start + i));
        at = to;
        const got = tree.range();
        assert.equal(got.size, want.size);
        assert.deepEqual(got.encode(), want.encode(), `from ${start}, size ${want.size}`);
        assert.deepEqual(got.root(), want.root());
      }
    }
  });
});

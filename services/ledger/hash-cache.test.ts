import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { leafHash } from '../../packages/tlog/index.js';
import { naiveConsistency, naiveInclusion } from '../../test/ledger-fixtures.js';
import { HashCache } from './hash-cache.js';
import { type AppendItem, LogStore } from './store.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'il-hash-cache-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let next = 0;
function items(n: number): AppendItem[] {
  return Array.from({ length: n }, () => {
    const i = next++;
    const leaf = new TextEncoder().encode(`leaf ${i}`);
    return {
      leaf,
      leafHash: leafHash(leaf),
      identity: `c1/h${i}`,
      bodies: new Map(),
    };
  });
}

/** Every inclusion and consistency proof of the stores' trees agree with each other and the reference. */
function assertSameProofs(stores: LogStore[], hashes: Uint8Array[]): void {
  const size = stores[0]?.size ?? 0n;
  for (const s of stores) assert.equal(s.size, size);
  for (let n = 1n; n <= size; n++) {
    const leaves = hashes.slice(0, Number(n));
    for (let i = 0n; i < n; i++) {
      const want = naiveInclusion(Number(i), leaves);
      for (const s of stores)
        assert.deepEqual(s.inclusionProof(i, n).map(Buffer.from), want.map(Buffer.from));
    }
    for (let m = 1n; m <= n; m++) {
      const want = naiveConsistency(Number(m), leaves);
      for (const s of stores)
        assert.deepEqual(s.consistencyProof(m, n).map(Buffer.from), want.map(Buffer.from));
    }
    for (const s of stores) assert.deepEqual(Buffer.from(s.rootAt(n)), Buffer.from(stores[0]!.rootAt(n)));
  }
}

describe('HashCache', () => {
  it('serves the same proofs as SQLite reads, across appends, reopen and a budget that drops levels', () => {
    const dirA = tempDir();
    const dirB = tempDir();
    const dirC = tempDir();
    const cached = new LogStore(dirA);
    const uncached = new LogStore(dirB, 0);
    const tiny = new LogStore(dirC, 2048);
    const hashes: Uint8Array[] = [];
    for (const batch of [1, 2, 3, 5, 8, 13, 1, 1, 7, 24]) {
      const b = items(batch);
      for (const s of [cached, uncached, tiny]) s.append(b);
      hashes.push(...b.map((x) => x.leafHash));
      assertSameProofs([cached, uncached, tiny], hashes);
    }
    assert.equal(uncached.hashCacheStats().bytes, 0);
    assert.ok(tiny.hashCacheStats().bytes <= 2048);
    assert.ok(tiny.hashCacheStats().minLevel > 0, 'the tiny budget dropped the lowest levels');
    assert.equal(cached.hashCacheStats().minLevel, 0);
    // Reopened stores fill the cache from the database (the bulk load path), then keep appending.
    for (const s of [cached, uncached, tiny]) s.close();
    const reopened = [new LogStore(dirA), new LogStore(dirB, 0), new LogStore(dirC, 2048)];
    assertSameProofs(reopened, hashes);
    for (const batch of [1, 6, 9]) {
      const b = items(batch);
      for (const s of reopened) s.append(b);
      hashes.push(...b.map((x) => x.leafHash));
      assertSameProofs(reopened, hashes);
    }
    // Interleaved sizes exercise the right-edge fold cache's resets.
    for (let k = 0; k < 2000; k++) {
      const n = 1 + ((k * 7919) % hashes.length);
      const i = (k * 104_729) % n;
      const want = naiveInclusion(i, hashes.slice(0, n)).map(Buffer.from);
      for (const s of reopened)
        assert.deepEqual(s.inclusionProof(BigInt(i), BigInt(n)).map(Buffer.from), want);
    }
    for (const s of reopened) s.close();
  });

  it('stays within its budget and ignores out-of-order pushes', () => {
    const c = new HashCache(4096);
    const h = new Uint8Array(32).fill(7);
    for (let i = 0; i < 1000; i++) c.push(0, i, h);
    assert.ok(c.bytes <= 4096);
    assert.equal(c.minLevel, 1);
    assert.equal(c.get(0, 3), undefined);
    c.push(1, 5, h); // not the next index of level 1
    assert.equal(c.get(1, 5), undefined);
    c.push(1, 0, h);
    assert.deepEqual(c.get(1, 0), h);
    assert.ok(HashCache.levelFor(1_000_000, 128 * 1024 * 1024) === 0);
    assert.ok(HashCache.levelFor(100_000_000, 128 * 1024 * 1024) > 0);
  });
});

// The tile reader on a store: widths a tree size allows, full tiles from the cache equal to fresh
// reads, and bodies hidden until the tree that committed them is published.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateKey } from '../../packages/tlog/index.js';
import { appendSignedChanges } from '../../test/tiles-fixtures.js';
import { LogStore } from './store.js';
import { TileReader } from './tile-reader.js';

describe('the tile reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-tile-reader-'));
  const store = new LogStore(dir);
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const collector = generateKey('collector/c1');

  it('shows a body only once a published size covers the append that stored it', () => {
    const reader = new TileReader(store);
    const built = appendSignedChanges(store, collector, 'c1', 10, { withBody: (i) => i === 3 });
    reader.noteAppended();
    const [sha] = [...built.bodies.keys()];
    assert.ok(sha !== undefined);
    assert.equal(reader.body(sha, 0n), undefined, 'nothing published yet');
    assert.equal(reader.body(sha, 9n), undefined, 'the append made size 10');
    assert.deepEqual(
      Buffer.from(reader.body(sha, 10n)?.bytes ?? []),
      Buffer.from(built.bodies.get(sha) ?? []),
    );
    // A new reader (a restart) sees it once its start size is published.
    const later = appendSignedChanges(store, collector, 'c1', 5, { first: 10, withBody: () => true });
    const restarted = new TileReader(store);
    const [late] = [...later.bodies.keys()];
    assert.equal(restarted.body(late ?? '', 10n), undefined);
    assert.ok(
      restarted.body(sha, 10n) === undefined,
      'a restart shows nothing until its start size is published',
    );
    assert.ok(restarted.body(late ?? '', 15n) !== undefined);
    assert.ok(restarted.body(sha, 15n) !== undefined);
  });

  it('reads full tiles through its cache and partial ones fresh, never past the size', () => {
    const reader = new TileReader(store, 8192);
    appendSignedChanges(store, collector, 'c1', 600, { first: 15 });
    const size = store.size;
    assert.equal(size, 615n);
    const first = reader.hashTile(0, 0n, 256, size);
    const again = reader.hashTile(0, 0n, 256, size);
    assert.ok(first !== undefined && again !== undefined);
    assert.equal(again, first, 'served from the cache');
    const second = reader.hashTile(0, 1n, 256, size);
    assert.ok(second !== undefined);
    assert.deepEqual(reader.hashTile(0, 0n, 256, size)?.bytes, first.bytes, 'evicted and read again');
    assert.equal(reader.hashTile(0, 2n, 103, size)?.bytes.length, 103 * 32);
    assert.equal(reader.hashTile(0, 2n, 104, size), undefined);
    assert.equal(reader.hashTile(0, 2n, 103, size - 1n), undefined);
    assert.equal(reader.hashTile(0, 2n, 256, size), undefined);
    assert.equal(reader.hashTile(1, 0n, 2, size)?.bytes.length, 64);
    assert.equal(reader.hashTile(1, 0n, 3, size), undefined);
    assert.equal(reader.entryBundle(2n, 103, size)?.bytes.length !== undefined, true);
    assert.equal(reader.entryBundle(3n, 1, size), undefined);
  });
});

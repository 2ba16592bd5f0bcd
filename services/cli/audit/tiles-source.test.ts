// The audit's tiles source on a directory layout of 70,000 small unsigned leaves, so hash tiles
// reach level 2 (one full level-1 tile under a level-2 hash): every tile above level 0 is checked
// against the roots of the tiles below, and a changed hash is named by the first entry under it.
// Leaves and signatures are the audit's other phases (test/tiles-cli.test.ts runs the command).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dirFetcher } from '../../../packages/tiles-client/index.js';
import {
  encodeEntryBundle,
  entriesPath,
  readTile,
  TILE_HEIGHT,
  TILE_WIDTH,
  tilePath,
  tileWidth,
} from '../../../packages/tlog/index.js';
import { MemoryLog } from '../../../packages/tlog/testing.js';
import type { VerificationError } from '../verification/errors.js';
import { TilesLogSource } from './tiles-source.js';

const SIZE = 70_000;

describe('the tiles source of the audit', () => {
  let dir = '';
  let log: MemoryLog;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'il-tiles-source-'));
    log = new MemoryLog();
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < SIZE; i++) {
      const leaf = new TextEncoder().encode(`leaf ${i}`);
      leaves.push(leaf);
      log.appendLeaf(leaf);
    }
    const put = (path: string, bytes: Uint8Array | string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
    };
    const size = BigInt(SIZE);
    put('checkpoint', log.checkpoint());
    for (let level = 0; size >> BigInt(level * TILE_HEIGHT) > 0n; level++) {
      for (let n = 0n; tileWidth(level, n, size) > 0; n++) {
        put(tilePath(level, n, tileWidth(level, n, size)), readTile(level, n, size, log.read));
      }
    }
    for (let n = 0; n * TILE_WIDTH < SIZE; n++) {
      const bundle = leaves.slice(n * TILE_WIDTH, (n + 1) * TILE_WIDTH);
      put(entriesPath(BigInt(n), bundle.length), encodeEntryBundle(bundle));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Reads every entry through the source (as the rebuild would), then checks the hash tiles. */
  async function check(): Promise<{ failures: VerificationError[]; checked: number; hashes: Uint8Array }> {
    const source = new TilesLogSource(dirFetcher(dir));
    await source.checkpoint();
    const parts: Uint8Array[] = [];
    for (let start = 0n; start < BigInt(SIZE); start += BigInt(TILE_WIDTH)) {
      const view = await source.entries(start, start + BigInt(TILE_WIDTH));
      assert.equal(view.count, Math.min(TILE_WIDTH, SIZE - Number(start)));
      parts.push(view.bytes.subarray(view.spans[2], view.spans[4 * view.count - 1]));
    }
    const failures: VerificationError[] = [];
    const checked = await source.checkHashTiles((e) => failures.push(e));
    return { failures, checked, hashes: Buffer.concat(parts) };
  }

  async function withChanged(rel: string, at: number, fn: () => Promise<void>): Promise<void> {
    const file = join(dir, rel);
    const original = readFileSync(file);
    const changed = Buffer.from(original);
    changed[at] = (changed[at] ?? 0) ^ 0x80;
    writeFileSync(file, changed);
    try {
      await fn();
    } finally {
      writeFileSync(file, original);
    }
  }

  it('hands the level-0 tile hashes to the workers as the claimed leaf hashes', async () => {
    const { failures, hashes } = await check();
    assert.deepEqual(failures, []);
    assert.equal(hashes.length, SIZE * 32);
    for (const i of [0, 255, 256, 65_536, SIZE - 1]) {
      assert.deepEqual(
        Buffer.from(hashes.subarray(i * 32, i * 32 + 32)),
        Buffer.from(log.read(0, BigInt(i))),
      );
    }
  });

  it('checks every hash of levels 1 and 2 against the tiles below', async () => {
    const { failures, checked } = await check();
    assert.deepEqual(failures, []);
    // 273 level-1 hashes (one per full level-0 tile) and 1 level-2 hash.
    assert.equal(checked, Math.floor(SIZE / 256) + 1);
  });

  it('names the first entry under a changed level-1 hash', async () => {
    await withChanged('tile/1/000', 9 * 32 + 4, async () => {
      const { failures } = await check();
      assert.deepEqual(
        failures.map((f) => [f.code, f.index]),
        [['TILE', 9n * 256n]],
      );
    });
    await withChanged('tile/1/001.p/17', 2 * 32, async () => {
      const { failures } = await check();
      assert.deepEqual(
        failures.map((f) => [f.code, f.index]),
        [['TILE', (256n + 2n) * 256n]],
      );
    });
  });

  it('names entry 0 for a changed level-2 hash', async () => {
    await withChanged('tile/2/000.p/1', 31, async () => {
      const { failures } = await check();
      assert.deepEqual(
        failures.map((f) => [f.code, f.index]),
        [['TILE', 0n]],
      );
    });
  });

  it('reports a missing or short upper tile as TILE where it starts', async () => {
    await withChanged('tile/1/001.p/17', 0, async () => {
      writeFileSync(join(dir, 'tile/1/001.p/17'), Buffer.alloc(16 * 32));
      const { failures } = await check();
      assert.deepEqual(
        failures.map((f) => [f.code, f.index]),
        [['TILE', 256n * 256n]],
      );
    });
  });
});

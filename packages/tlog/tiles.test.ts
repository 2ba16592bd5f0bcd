// C2SP tlog-tiles: path encoding (the spec's own example, x001/x234/067), strict path parsing,
// entry bundles and tiles read from stored nodes, with malformed, oversized and truncated input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TlogError } from './errors.js';
import { leafHash } from './hash.js';
import { MemoryLog, throwsCode } from './testing.js';
import {
  encodeEntryBundle,
  encodeTileIndex,
  entriesPath,
  parseEntryBundle,
  parseTilePath,
  readTile,
  tileNodes,
  tilePath,
  tileWidth,
} from './tiles.js';

describe('tile paths', () => {
  const indexes: [bigint, string][] = [
    [0n, '000'],
    [5n, '005'],
    [999n, '999'],
    [1000n, 'x001/000'],
    [1234067n, 'x001/x234/067'],
    [(1n << 64n) - 1n, 'x018/x446/x744/x073/x709/x551/615'],
  ];
  for (const [index, want] of indexes) {
    it(`encodes index ${index} as ${want}`, () => {
      assert.equal(encodeTileIndex(index), want);
      assert.deepEqual(parseTilePath(`tile/entries/${want}`), { kind: 'entries', index, width: 256 });
    });
  }

  it('builds hash tile and entry bundle paths, full and partial', () => {
    assert.equal(tilePath(0, 1234067n), 'tile/0/x001/x234/067');
    assert.equal(tilePath(3, 0n, 256), 'tile/3/000');
    assert.equal(tilePath(1, 2n, 7), 'tile/1/002.p/7');
    assert.equal(entriesPath(1234067n, 255), 'tile/entries/x001/x234/067.p/255');
    assert.equal(entriesPath(0n), 'tile/entries/000');
  });

  it('rejects bad levels, widths and indexes with BAD_RANGE', () => {
    for (const level of [-1, 6, 1.5, Number.NaN]) throwsCode(() => tilePath(level, 0n), 'BAD_RANGE');
    for (const width of [0, 257, -1, 2.5]) throwsCode(() => tilePath(0, 0n, width), 'BAD_RANGE');
    throwsCode(() => entriesPath(0n, 0), 'BAD_RANGE');
    throwsCode(() => encodeTileIndex(-1n), 'BAD_RANGE');
    throwsCode(() => encodeTileIndex(1n << 64n), 'BAD_RANGE');
  });

  it('parses what it builds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 1, max: 256 }),
        (level, index, width) => {
          assert.deepEqual(parseTilePath(tilePath(level, index, width)), {
            kind: 'hashes',
            level,
            index,
            width,
          });
          assert.deepEqual(parseTilePath(entriesPath(index, width)), { kind: 'entries', index, width });
        },
      ),
      { numRuns: 300 },
    );
  });

  const malformed = [
    '',
    'tile',
    'tile/0',
    'tile/0/',
    'tiles/0/000',
    '/tile/0/000',
    'tile/0/000/',
    'tile/6/000',
    'tile/00/000',
    'tile/-1/000',
    'tile/0/0001',
    'tile/0/01',
    'tile/0/x000/001',
    'tile/0/x1/000',
    'tile/0/001/x002',
    'tile/0/x001/x002',
    'tile/0/000.p/0',
    'tile/0/000.p/256',
    'tile/0/000.p/010',
    'tile/0/000.p/',
    'tile/0/000.p/5/6',
    'tile/0/.p/5',
    'tile/0/x001.p/5',
    'tile/0/x018/x446/x744/x073/x709/x551/616',
    'tile/entries/x001/x002/x003/x004/x005/x006/x007/008',
    'tile/entries/0a0',
    `tile/0/${'x001/'.repeat(40)}000`,
  ];
  for (const path of malformed) {
    it(`rejects "${path.slice(0, 40)}" with MALFORMED`, () =>
      throwsCode(() => parseTilePath(path), 'MALFORMED'));
  }

  it('never throws anything but MALFORMED on arbitrary paths', () => {
    const element = fc.constantFrom('tile', 'entries', '0', '5', '000', 'x001', '.p', '255', '', 'x', '999');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(element, { maxLength: 8 }).map((a) => a.join('/')),
        ),
        (path) => {
          try {
            const p = parseTilePath(path);
            const again =
              p.kind === 'entries' ? entriesPath(p.index, p.width) : tilePath(p.level, p.index, p.width);
            assert.equal(again, path, 'only canonical paths parse');
          } catch (e) {
            assert.ok(e instanceof TlogError && e.code === 'MALFORMED', String(e));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('entry bundles', () => {
  it('encodes big-endian uint16 lengths and round-trips', () => {
    const entries = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7)];
    const bundle = encodeEntryBundle(entries);
    assert.deepEqual([...bundle.subarray(0, 5)], [0, 3, 1, 2, 3]);
    assert.deepEqual([...bundle.subarray(5, 9)], [0, 0, 1, 44]);
    assert.deepEqual(parseEntryBundle(bundle), entries);
    assert.deepEqual(parseEntryBundle(new Uint8Array(0)), []);
  });

  it('takes an entry of 65,535 bytes and refuses 65,536 and 257 entries with BAD_RANGE', () => {
    const max = new Uint8Array(0xffff).fill(1);
    assert.deepEqual(parseEntryBundle(encodeEntryBundle([max])), [max]);
    throwsCode(() => encodeEntryBundle([new Uint8Array(0x10000)]), 'BAD_RANGE');
    throwsCode(() => encodeEntryBundle(Array(257).fill(new Uint8Array(1))), 'BAD_RANGE');
  });

  it('rejects every truncation that cuts an entry, and more than 256 entries, with MALFORMED', () => {
    const entries = [new Uint8Array([9, 9]), new Uint8Array(0), new Uint8Array([1, 2, 3, 4])];
    const bundle = encodeEntryBundle(entries);
    const boundaries = new Set([0, 4, 6, 12]);
    for (let cut = 0; cut < bundle.length; cut++) {
      if (boundaries.has(cut))
        assert.equal(parseEntryBundle(bundle.subarray(0, cut)).length, [0, 4, 6].indexOf(cut));
      else throwsCode(() => parseEntryBundle(bundle.subarray(0, cut)), 'MALFORMED');
    }
    throwsCode(() => parseEntryBundle(new Uint8Array([0xff, 0xff, 1])), 'MALFORMED');
    throwsCode(() => parseEntryBundle(new Uint8Array(257 * 2)), 'MALFORMED');
  });

  it('never throws anything but MALFORMED on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          assert.deepEqual(encodeEntryBundle(parseEntryBundle(bytes)), bytes);
        } catch (e) {
          assert.ok(e instanceof TlogError && e.code === 'MALFORMED');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('tiles read from stored nodes', () => {
  const store = new MemoryLog();
  for (let i = 0; i < 600; i++) store.appendLeaf(new TextEncoder().encode(`entry ${i}`));
  const size = store.range.size;

  it('reads full and partial level-0 tiles as concatenated leaf hashes', () => {
    const full = readTile(0, 0n, size, store.read);
    assert.equal(full.length, 256 * 32);
    assert.deepEqual(full.subarray(32 * 5, 32 * 6), leafHash(new TextEncoder().encode('entry 5')));
    const partial = readTile(0, 2n, size, store.read);
    assert.equal(partial.length, 88 * 32);
    assert.deepEqual(partial.subarray(0, 32), store.read(0, 512n));
    assert.equal(tileWidth(0, 2n, size), 88);
    assert.equal(tileWidth(0, 2n, 512n), 0);
  });

  it('reads level-1 tiles from tree level 8, complete subtrees only', () => {
    assert.equal(tileWidth(1, 0n, size), 2);
    assert.deepEqual(
      readTile(1, 0n, size, store.read),
      new Uint8Array([...store.read(8, 0n), ...store.read(8, 1n)]),
    );
    assert.deepEqual(tileNodes(1, 0n, 300n), [{ level: 8, index: 0n }]);
    throwsCode(() => readTile(1, 0n, 255n, store.read), 'BAD_RANGE');
  });

  it('rejects empty tiles, bad levels and sizes with BAD_RANGE', () => {
    throwsCode(() => readTile(0, 3n, size, store.read), 'BAD_RANGE');
    throwsCode(() => readTile(0, -1n, size, store.read), 'BAD_RANGE');
    throwsCode(() => readTile(6, 0n, size, store.read), 'BAD_RANGE');
    throwsCode(() => readTile(0, 0n, 1n << 63n, store.read), 'BAD_RANGE');
    throwsCode(() => readTile(0, 0n, 0n, store.read), 'BAD_RANGE');
  });

  it('rejects stored hashes of the wrong size and passes on MISSING_NODE', () => {
    throwsCode(() => readTile(0, 0n, 1n, () => new Uint8Array(33)), 'BAD_HASH_SIZE');
    throwsCode(() => readTile(0, 2n, 700n, store.read), 'MISSING_NODE');
  });
});

// The golden tlog-tiles log from transparency-dev/tessera (../shared/testdata/tessera-golden-log,
// see its README): appending its 15 entries must reproduce every partial level-0 tile, entry
// bundle and signed checkpoint byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import { formatCheckpoint } from './checkpoint.js';
import { encodeBase64 } from './encoding.js';
import { TlogError } from './errors.js';
import { parseSkey, signNote } from './note.js';
import { MemoryLog } from './testing.js';
import { encodeEntryBundle, entriesPath, readTile, tilePath } from './tiles.js';

const GOLDEN = sharedTestdata('tessera-golden-log/log');
const ENTRIES = 'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(
  ' ',
);
const ORIGIN = 'example.com/log/testdata';
const SKEY = 'PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg';

const golden = (rel: string) => new Uint8Array(readFileSync(join(GOLDEN!, rel)));

/** The log after each number of entries: its store and root. */
function replay(): { store: MemoryLog; roots: Uint8Array[] } {
  const store = new MemoryLog();
  const roots = [store.range.root()];
  for (const e of ENTRIES) {
    store.appendLeaf(new TextEncoder().encode(e));
    roots.push(store.range.root());
  }
  return { store, roots };
}

describe('the tessera golden log', { skip: GOLDEN ? false : SHARED_MISSING }, () => {
  it('reproduces every partial level-0 tile and entry bundle', () => {
    const { store } = replay();
    const entries = ENTRIES.map((e) => new TextEncoder().encode(e));
    for (let n = 1; n <= ENTRIES.length; n++) {
      assert.equal(tilePath(0, 0n, n), `tile/0/000.p/${n}`);
      assert.deepEqual(readTile(0, 0n, BigInt(n), store.read), golden(tilePath(0, 0n, n)), `tile width ${n}`);
      assert.equal(entriesPath(0n, n), `tile/entries/000.p/${n}`);
      assert.deepEqual(
        encodeEntryBundle(entries.slice(0, n)),
        golden(entriesPath(0n, n)),
        `bundle width ${n}`,
      );
    }
  });

  it('reproduces the root hash line of every checkpoint 0..15', () => {
    const { roots } = replay();
    for (let n = 0; n <= ENTRIES.length; n++) {
      const lines = new TextDecoder().decode(golden(`checkpoint.${n}`)).split('\n');
      assert.deepEqual(lines.slice(0, 3), [ORIGIN, String(n), encodeBase64(roots[n]!)], `checkpoint.${n}`);
    }
  });

  it('reproduces every signed checkpoint 0..15 with formatCheckpoint and signNote', (t) => {
    const { roots } = replay();
    const key = parseSkey(SKEY);
    const body = (n: number) =>
      formatCheckpoint({ origin: ORIGIN, size: BigInt(n), rootHash: roots[n]!, extensions: [] });
    try {
      body(0);
    } catch (e) {
      // checkpoint.ts is written in parallel; until it lands this check cannot run.
      if (e instanceof TlogError && e.message === 'not implemented')
        return t.skip('formatCheckpoint not implemented yet');
      throw e;
    }
    for (let n = 0; n <= ENTRIES.length; n++) {
      assert.equal(
        signNote(body(n), key),
        new TextDecoder().decode(golden(`checkpoint.${n}`)),
        `checkpoint.${n}`,
      );
    }
    assert.deepEqual(golden('checkpoint'), golden(`checkpoint.${ENTRIES.length}`));
  });
});

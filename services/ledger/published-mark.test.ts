// A store restored from an old copy must not start: it would sign a second history.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatCheckpoint, generateKey, leafHash, signNote } from '../../packages/tlog/index.js';
import { makeChange, signChange } from '../../test/ledger-fixtures.js';
import { publishedMarkPath, rollbackProblem, writePublishedMark } from './published-mark.js';
import { type AppendItem, LogStore } from './store.js';

const key = generateKey('collector/c1');
const logKey = generateKey('example.com/log');
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'il-mark-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function item(auditID: string): AppendItem {
  const leaf = signChange(makeChange('c1', auditID), key);
  return { leaf, leafHash: leafHash(leaf), identity: `c1/${auditID}`, bodies: new Map() };
}

const noteOf = (store: LogStore, size: bigint) =>
  signNote(
    formatCheckpoint({ origin: 'example.com/log', size, rootHash: store.rootAt(size), extensions: [] }),
    logKey,
  );

describe('the published-checkpoint mark', () => {
  it('passes for a store that holds the published tree, and when nothing was published', () => {
    const dir = tempDir();
    const store = new LogStore(dir);
    try {
      assert.equal(rollbackProblem(dir, store), undefined);
      store.append([item('a'), item('b'), item('c')]);
      writePublishedMark(dir, noteOf(store, 3n));
      store.append([item('d')]);
      assert.equal(rollbackProblem(dir, store), undefined);
    } finally {
      store.close();
    }
  });

  it('names a store smaller than the published size (restored from an old copy)', () => {
    const dir = tempDir();
    const big = new LogStore(tempDir());
    const small = new LogStore(dir);
    try {
      big.append([item('a'), item('b'), item('c'), item('d')]);
      small.append([item('a'), item('b')]);
      writePublishedMark(dir, noteOf(big, 4n));
      assert.match(
        rollbackProblem(dir, small) ?? '',
        /holds 2 entries, but a checkpoint of size 4 was published/,
      );
    } finally {
      big.close();
      small.close();
    }
  });

  it('names a store whose tree at the published size is another', () => {
    const dir = tempDir();
    const other = new LogStore(tempDir());
    const store = new LogStore(dir);
    try {
      other.append([item('x'), item('y')]);
      store.append([item('a'), item('b'), item('c')]);
      writePublishedMark(dir, noteOf(other, 2n));
      assert.match(rollbackProblem(dir, store) ?? '', /tree at size 2 is not the published one/);
    } finally {
      other.close();
      store.close();
    }
  });

  it('names a mark that is not a checkpoint, and never throws on one', () => {
    const dir = tempDir();
    const store = new LogStore(dir);
    try {
      for (const junk of ['', 'garbage\n', '\u0000\u0001', 'x'.repeat(70_000)]) {
        writeFileSync(publishedMarkPath(dir), junk);
        assert.ok(rollbackProblem(dir, store) !== undefined, JSON.stringify(junk.slice(0, 10)));
      }
    } finally {
      store.close();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateKey, leafHash, verifyConsistency, verifyInclusion } from '../../packages/tlog/index.js';
import {
  hex,
  makeChange,
  naiveConsistency,
  naiveInclusion,
  naiveRoot,
  signChange,
} from '../../test/ledger-fixtures.js';
import { APPEND_ONLY_TABLES } from './schema.js';
import { type AppendItem, LogStore, MERGE_ROWS } from './store.js';

const key = generateKey('collector/c1');
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'il-store-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function item(auditID: string): AppendItem {
  const change = makeChange('c1', auditID);
  const leaf = signChange(change, key);
  return { leaf, leafHash: leafHash(leaf), identity: `c1/${auditID}`, bodies: new Map() };
}

describe('LogStore', () => {
  it('appends batches whose roots and proofs match the naive reference at every size', () => {
    const store = new LogStore(tempDir());
    const hashes: Uint8Array[] = [];
    let n = 0;
    for (const batch of [1, 2, 3, 5, 8, 13, 21, 1, 1, 17]) {
      const items = Array.from({ length: batch }, () => item(`a${n++}`));
      const outcomes = store.append(items);
      assert.deepEqual(
        outcomes,
        items.map((_, i) => BigInt(hashes.length + i)),
      );
      hashes.push(...items.map((i) => i.leafHash));
    }
    assert.equal(store.size, BigInt(hashes.length));
    for (let size = 1; size <= hashes.length; size++) {
      const root = store.rootAt(BigInt(size));
      assert.equal(hex(root), hex(naiveRoot(hashes.slice(0, size))), `root ${size}`);
      for (let i = 0; i < size; i += 7) {
        const proof = store.inclusionProof(BigInt(i), BigInt(size));
        assert.deepEqual(proof.map(hex), naiveInclusion(i, hashes.slice(0, size)).map(hex));
        verifyInclusion(BigInt(i), BigInt(size), hashes[i]!, proof, root);
      }
      for (let m = 1; m <= size; m += 5) {
        const proof = store.consistencyProof(BigInt(m), BigInt(size));
        assert.deepEqual(proof.map(hex), naiveConsistency(m, hashes.slice(0, size)).map(hex));
        verifyConsistency(BigInt(m), BigInt(size), store.rootAt(BigInt(m)), root, proof);
      }
    }
    store.close();
  });

  it('appends an identity once, within a batch and across batches', () => {
    const store = new LogStore(tempDir());
    const a = item('x1');
    assert.deepEqual(store.append([a, item('x2'), { ...a }]), [0n, 1n, 'duplicate']);
    assert.deepEqual(store.append([item('x1'), item('x3')]), ['duplicate', 2n]);
    assert.equal(store.size, 3n);
    store.close();
  });

  describe('when identities and leaf hashes move from unmerged rows into their tables', () => {
    it('finds duplicates and leaf hashes the same before a merge, after it, and after a reopen', () => {
      const dir = tempDir();
      let store = new LogStore(dir);
      const merged = [item('m0'), item('m1')];
      const unmerged = [item('m2'), item('m3')];
      store.append(merged);
      store.merge();
      store.append(unmerged);
      const check = (s: LogStore) => {
        [...merged, ...unmerged].forEach((it, i) => {
          assert.equal(s.hasIdentity(it.identity), true);
          assert.equal(s.indexOfLeafHash(it.leafHash), BigInt(i));
        });
        assert.equal(s.hasIdentity('c1/none'), false);
        assert.equal(s.indexOfLeafHash(new Uint8Array(32)), undefined);
        assert.deepEqual(s.append([{ ...merged[1]! }, { ...unmerged[1]! }]), ['duplicate', 'duplicate']);
      };
      check(store);
      store.close();
      store = new LogStore(dir); // unmerged rows come back from the table
      check(store);
      store.merge();
      check(store);
      assert.equal(store.db.prepare('SELECT count(*) FROM unmerged').pluck().get(), 0n);
      assert.equal(store.db.prepare('SELECT count(*) FROM identities').pluck().get(), 4n);
      store.close();
    });

    it('merges by itself once MERGE_ROWS entries wait', () => {
      const store = new LogStore(tempDir());
      const items = Array.from({ length: MERGE_ROWS }, (_, i) => ({
        leaf: new TextEncoder().encode(`leaf ${i}`),
        leafHash: leafHash(new TextEncoder().encode(`leaf ${i}`)),
        identity: `c1/auto${i}`,
        bodies: new Map(),
      }));
      store.append(items.slice(0, MERGE_ROWS - 1));
      assert.equal(store.db.prepare('SELECT count(*) FROM unmerged').pluck().get(), BigInt(MERGE_ROWS - 1));
      store.append(items.slice(MERGE_ROWS - 1));
      assert.equal(store.db.prepare('SELECT count(*) FROM unmerged').pluck().get(), 0n);
      assert.equal(store.indexOfLeafHash(items[MERGE_ROWS - 1]!.leafHash), BigInt(MERGE_ROWS - 1));
      store.close();
    });

    it('upgrades a database that indexed entries.leaf_hash instead of keeping leaf_hashes', () => {
      const dir = tempDir();
      const first = new LogStore(dir);
      const items = [item('u0'), item('u1'), item('u2')];
      first.append(items);
      first.merge();
      // The older layout: leaf hashes only in an index on entries.
      first.db.exec(`DROP TRIGGER leaf_hashes_no_delete; DELETE FROM leaf_hashes;
        CREATE INDEX entries_by_leaf_hash ON entries (leaf_hash);`);
      const root = first.root();
      first.close();
      const again = new LogStore(dir);
      for (const [i, it] of items.entries()) assert.equal(again.indexOfLeafHash(it.leafHash), BigInt(i));
      assert.equal(hex(again.rootAt(3n)), hex(root));
      const index = "SELECT count(*) FROM sqlite_master WHERE name = 'entries_by_leaf_hash'";
      assert.equal(again.db.prepare(index).pluck().get(), 0n);
      again.close();
    });
  });

  it('resumes from its stored state after a reopen, without rebuilding', () => {
    const dir = tempDir();
    const first = new LogStore(dir);
    first.append(Array.from({ length: 11 }, (_, i) => item(`r${i}`)));
    const root = first.root();
    first.close();
    const again = new LogStore(dir);
    assert.equal(again.size, 11n);
    assert.equal(hex(again.root()), hex(root));
    again.append([item('r11')]);
    assert.equal(again.size, 12n);
    assert.equal(hex(again.rootAt(11n)), hex(root));
    again.close();
  });

  it('rolls back a whole batch when one of its writes fails', () => {
    const store = new LogStore(tempDir());
    store.append([item('h0')]);
    // entries.leaf is NOT NULL: the second item fails after the first is written.
    const broken = { ...item('h2'), leaf: null as unknown as Uint8Array };
    assert.throws(() => store.append([item('h1'), broken]), /NOT NULL/);
    assert.equal(store.size, 1n);
    assert.deepEqual(store.append([item('h1')]), [1n]);
    store.close();
  });

  describe('when someone edits the log tables with SQL', () => {
    const store = new LogStore(tempDir());
    store.append([item('t0'), item('t1'), item('t2')]);
    store.merge();
    store.addCheckpoint({ size: 3n, note: 'n' });
    store.addPublished({ size: 3n, note: 'n' });
    store.db.prepare('INSERT INTO bodies (sha256, data) VALUES (?, ?)').run('00', Buffer.from('{}'));
    after(() => store.close());
    for (const table of APPEND_ONLY_TABLES) {
      it(`refuses UPDATE and DELETE on ${table}`, () => {
        const col = store.db.prepare(`SELECT name FROM pragma_table_info('${table}') LIMIT 1`).pluck().get();
        assert.throws(() => store.db.exec(`UPDATE ${table} SET ${col} = ${col}`), /append-only/);
        assert.throws(() => store.db.exec(`DELETE FROM ${table}`), /append-only/);
      });
    }
  });

  it('refuses sizes beyond the committed tree', () => {
    const store = new LogStore(tempDir());
    store.append([item('s0')]);
    assert.throws(() => store.inclusionProof(0n, 2n), { code: 'BAD_RANGE' });
    assert.throws(() => store.consistencyProof(1n, 2n), { code: 'BAD_RANGE' });
    store.close();
  });
});

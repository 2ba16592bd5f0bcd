// `ingress-ledger reindex --data-dir DIR` on a real ledger-shaped database file.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Corpus } from '../testing/corpus.js';
import { openTestLedger } from '../testing/index.js';
import { ReindexError, reindexCommand } from './reindex-command.js';

const count = (db: Database.Database, table: string) =>
  Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);

describe('reindex command', () => {
  it('rebuilds dropped search tables from the leaves', async () => {
    const l = openTestLedger();
    try {
      l.append(new Corpus(3).next(120));
      const want = count(l.db, 'search_findings');
      l.db.exec('DROP TABLE search_findings; DELETE FROM search_entries;');
      l.db.close();
      await reindexCommand().parseAsync(['--data-dir', l.dir], { from: 'user' });
      const db = new Database(join(l.dir, 'ledger.sqlite'));
      assert.equal(count(db, 'search_entries'), 120);
      assert.equal(count(db, 'search_findings'), want);
      db.close();
    } finally {
      l.close();
    }
  });

  it('fails with NO_DATABASE when the data dir has no ledger database', async () => {
    await assert.rejects(
      reindexCommand().parseAsync(['--data-dir', '/nonexistent/ingress-ledger'], { from: 'user' }),
      (e: unknown) => e instanceof ReindexError && e.code === 'NO_DATABASE',
    );
  });
});

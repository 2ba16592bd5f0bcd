// SearchFollower against a real SQLite file laid out as the ledger's: the log is written first,
// the follower indexes it afterwards. A restart mid-catch-up resumes without gaps or duplicates
// (same tables as a reindex from scratch), lag is a metric and a warning, alerts are published
// only after the rows are committed, and queries never see unindexed entries.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SearchEntriesRequestSchema } from '../../../packages/proto/index.js';
import { changeOf } from '../../../packages/risk/testing.js';
import { silentLogger } from '../../../packages/runtime/index.js';
import { Corpus } from './corpus.js';
import { type IndexedFindings, SearchFollower } from './follower.js';
import { reindex } from './reindex.js';
import { SearchIndex } from './search-index.js';
import { leafOf } from './testing.js';

interface Log {
  dir: string;
  file: string;
  db: Database.Database;
  size: bigint;
  append(changes: ReturnType<Corpus['next']>): void;
  close(): void;
}

function openDb(file: string): Database.Database {
  const db = new Database(file);
  db.defaultSafeIntegers(true);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
           CREATE TABLE IF NOT EXISTS bodies (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL);`);
  return db;
}

/** The log alone: entries appended with no index work, as the ledger's append transaction does. */
function openLog(): Log {
  const dir = mkdtempSync(join(tmpdir(), 'follower-test-'));
  const file = join(dir, 'ledger.sqlite');
  const log: Log = {
    dir,
    file,
    db: openDb(file),
    size: 0n,
    append(changes) {
      const insert = log.db.prepare('INSERT INTO entries (idx, leaf) VALUES (?, ?)');
      log.db.transaction(() => {
        for (const c of changes) {
          insert.run(log.size, leafOf(c));
          log.size += 1n;
        }
      })();
    },
    close() {
      if (log.db.open) log.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return log;
}

function follow(
  log: Log,
  extra: {
    registry?: Registry;
    publish?: (f: readonly IndexedFindings[]) => void;
    logger?: pino.Logger;
  } = {},
) {
  const logger = extra.logger ?? silentLogger();
  const index = new SearchIndex(log.db, { logger });
  const follower = new SearchFollower(log.db, index, {
    logger,
    ...(extra.registry === undefined ? {} : { registry: extra.registry }),
    logSize: () => log.size,
    publish: extra.publish ?? (() => {}),
    chunk: 100,
    lagWarnEntries: 50,
  });
  return { index, follower };
}

const dump = (db: Database.Database) =>
  ['search_entries', 'search_attrs', 'search_findings', 'search_progress'].map((t) =>
    JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all(), (_k, v) =>
      typeof v === 'bigint' ? String(v) : v,
    ),
  );

const denial = (second: number) =>
  changeOf({
    object: { kind: 'Ingress', metadata: { name: 'shop' } },
    verb: 'update',
    responseCode: 403,
    user: { username: 'mallory' },
    stageTimestamp: `2026-11-26T10:00:${String(second).padStart(2, '0')}.000000Z`,
  });

describe('SearchFollower', () => {
  it('resumes after a restart mid-catch-up with no gap or duplicate (same as a reindex)', async () => {
    const log = openLog();
    try {
      log.append(new Corpus(11).next(1050));
      let { index, follower } = follow(log);
      assert.equal(follower.step(), 100);
      assert.equal(follower.step(), 100);
      assert.equal(index.indexedSize(), 200n);
      // More entries arrive, then the process dies between chunks: only committed work remains.
      log.append(new Corpus(12).next(30));
      follower.stop();
      log.db.close();
      log.db = openDb(log.file);
      ({ index, follower } = follow(log));
      assert.equal(index.indexedSize(), 200n, 'resumes at the committed position');
      await follower.caughtUp();
      assert.equal(index.indexedSize(), log.size);
      const n = log.db.prepare('SELECT count(*) FROM search_entries').pluck().get();
      assert.equal(n, log.size, 'one row per entry');
      const incremental = dump(log.db);
      reindex(log.db, { logger: silentLogger() });
      assert.deepEqual(dump(log.db), incremental);
      follower.stop();
    } finally {
      log.close();
    }
  });

  it('rolls a failed chunk back whole and retries it', () => {
    const log = openLog();
    try {
      log.append(new Corpus(13).next(150));
      const { index, follower } = follow(log);
      log.db.exec(`CREATE TEMP TRIGGER fail BEFORE UPDATE ON search_progress
                   BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
      assert.throws(() => follower.step(), /disk full/);
      assert.equal(index.indexedSize(), 0n);
      assert.equal(log.db.prepare('SELECT count(*) FROM search_entries').pluck().get(), 0n);
      log.db.exec('DROP TRIGGER fail');
      assert.equal(follower.step(), 100);
      assert.equal(follower.step(), 50);
      assert.equal(index.indexedSize(), 150n);
      follower.stop();
    } finally {
      log.close();
    }
  });

  it('exports the lag as a gauge and warns while it is large', async () => {
    const log = openLog();
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(s) });
    try {
      const registry = new Registry();
      log.append(new Corpus(14).next(300));
      const { follower } = follow(log, { registry, logger });
      const lag = async () =>
        (await registry.getSingleMetric('ledger_search_index_lag_entries')?.get())?.values[0]?.value;
      assert.equal(await lag(), 300);
      follower.step();
      assert.equal(await lag(), 200);
      follower.notify();
      await new Promise((r) => setImmediate(r));
      assert.ok(
        lines.some((l) => l.includes('search index is behind the log') && l.includes('"lag":"100"')),
        lines.join(''),
      );
      await follower.caughtUp();
      assert.equal(await lag(), 0);
      follower.stop();
    } finally {
      log.close();
    }
  });

  it('publishes alerts only after the rows are committed, and queries see only indexed entries', async () => {
    const log = openLog();
    const reader = () => {
      const db = new Database(log.file, { readonly: true });
      db.defaultSafeIntegers(true);
      return db;
    };
    try {
      log.append(new Corpus(15).next(120));
      log.append([1, 2, 3, 4, 5].map(denial));
      const published: IndexedFindings[] = [];
      const { index, follower } = follow(log, {
        publish: (found) => {
          // Another connection sees the rows and the position: the follower's commit came first.
          const db = reader();
          try {
            for (const f of found) {
              if (f.findings.length === 0) continue;
              const stored = db
                .prepare('SELECT count(*) FROM search_findings WHERE idx = ?')
                .pluck()
                .get(f.index);
              assert.equal(stored, BigInt(f.findings.length));
              const at = db
                .prepare("SELECT indexed FROM search_progress WHERE key = 'indexed'")
                .pluck()
                .get();
              assert.ok((at as bigint) > f.index);
            }
          } finally {
            db.close();
          }
          published.push(...found);
        },
      });
      follower.step();
      const all = create(SearchEntriesRequestSchema, { pageSize: 1000 });
      const seen = index.search(all, log.size).results.map((r) => r.index);
      assert.equal(seen.length, 100, 'only the indexed entries');
      assert.ok(seen.every((i) => i < 100n));
      await follower.caughtUp();
      assert.equal(index.search(all, log.size).results.length, 125);
      const burst = published.filter((p) => p.findings.some((f) => f.message.startsWith('burst')));
      assert.deepEqual(
        burst.map((b) => b.index),
        [124n],
      );
      assert.deepEqual(
        published.map((p) => p.index),
        Array.from({ length: 125 }, (_, i) => BigInt(i)),
        'each entry published once, in order',
      );
      follower.stop();
    } finally {
      log.close();
    }
  });
});

// SearchFollower against a real SQLite file laid out as the ledger's: the log is written first,
// the follower indexes it afterwards on its worker thread. A restart mid-catch-up resumes without
// gaps or duplicates (same tables as a reindex from scratch), a slice is one transaction bounded in
// time, lag is a metric and a warning, alerts are published only after the rows are committed,
// queries never see unindexed entries, stop() never leaves half a slice, and the log's own writes
// never meet a follower transaction.
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
import { silentLogger } from '../../../packages/runtime/index.js';
import { Corpus } from '../testing/corpus.js';
import { denial, leafOf } from '../testing/index.js';
import { ledgerGate, sharedGateBuffer } from '../write-gate.js';
import {
  BACKLOG_YIELD,
  BUSY_YIELD,
  type IndexedFindings,
  MAX_YIELD_MS,
  pauseAfterSlice,
  SearchFollower,
} from './follower.js';
import { FollowerSlice } from './follower-slice.js';
import { reindex } from './reindex.js';
import { SearchIndex } from './search-index.js';

interface Log {
  dir: string;
  file: string;
  db: Database.Database;
  size: bigint;
  append(changes: ReturnType<Corpus['next']>): void;
  close(): void;
}

function openDb(file: string, timeout?: number): Database.Database {
  const db = new Database(file, timeout === undefined ? {} : { timeout });
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
    gate?: SharedArrayBuffer;
    sliceMs?: number;
  } = {},
) {
  const logger = extra.logger ?? silentLogger();
  const index = new SearchIndex(log.db, {
    logger,
    ...(extra.registry === undefined ? {} : { registry: extra.registry }),
  });
  const follower = new SearchFollower(index, {
    logger,
    ...(extra.registry === undefined ? {} : { registry: extra.registry }),
    ...(extra.sliceMs === undefined ? {} : { sliceMs: extra.sliceMs }),
    file: log.file,
    gate: extra.gate ?? sharedGateBuffer(),
    logSize: () => log.size,
    publish: extra.publish ?? (() => {}),
    maxEntries: 100,
    lagWarnEntries: 50,
  });
  return { index, follower };
}

/** The worker's slice on this thread: whole slices of `max` entries, or one entry per slice. */
function slicer(log: Log, opts: { max?: number; sliceMs?: number } = {}) {
  const index = new SearchIndex(log.db, { logger: silentLogger() });
  const slice = new FollowerSlice(log.db, index, silentLogger(), {
    maxEntries: opts.max ?? 100,
    sliceMs: opts.sliceMs ?? Number.POSITIVE_INFINITY,
  });
  return { index, slice };
}

const dump = (db: Database.Database) =>
  ['search_entries', 'search_attrs', 'search_findings', 'search_progress'].map((t) =>
    JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all(), (_k, v) =>
      typeof v === 'bigint' ? String(v) : v,
    ),
  );

describe('SearchFollower', () => {
  it('gives way to ingest: half the time under steady load, most of it while a backlog drains', () => {
    const o = { busyYield: BUSY_YIELD, backlogYield: BACKLOG_YIELD };
    const never = Number.POSITIVE_INFINITY;
    // Idle ingest: the next slice at once.
    assert.equal(pauseAfterSlice(20, never, never, o), 0);
    assert.equal(pauseAfterSlice(20, 5_000, 5_000, o), 0);
    // Appends 50 ms ago, no backlog: as long as the slice took.
    assert.equal(pauseAfterSlice(20, 50, never, o), 20 * BUSY_YIELD);
    // A backlog reported 50 ms ago: eight times as long, capped.
    assert.equal(pauseAfterSlice(20, 50, 50, o), 20 * BACKLOG_YIELD);
    assert.equal(pauseAfterSlice(10_000, 50, 50, o), MAX_YIELD_MS);
    // A backlog that ended (appends go on, not full): back to steady-load pacing.
    assert.equal(pauseAfterSlice(20, 50, 1_000, o), 20 * BUSY_YIELD);
  });

  it('resumes after a restart mid-catch-up with no gap or duplicate (same as a reindex)', async () => {
    const log = openLog();
    try {
      log.append(new Corpus(11).next(1050));
      const { index, slice } = slicer(log);
      assert.equal(slice.step().read, 100);
      assert.equal(slice.step().read, 100);
      assert.equal(index.indexedSize(), 200n);
      // More entries arrive, then the process dies between slices: only committed work remains.
      log.append(new Corpus(12).next(30));
      log.db.close();
      log.db = openDb(log.file);
      const { index: again, follower } = follow(log);
      assert.equal(again.indexedSize(), 200n, 'resumes at the committed position');
      await follower.caughtUp();
      assert.equal(again.indexedSize(), log.size);
      const n = log.db.prepare('SELECT count(*) FROM search_entries').pluck().get();
      assert.equal(n, log.size, 'one row per entry');
      await follower.stop();
      const incremental = dump(log.db);
      reindex(log.db, { logger: silentLogger() });
      assert.deepEqual(dump(log.db), incremental);
    } finally {
      log.close();
    }
  });

  it('rolls a failed slice back whole and retries it', () => {
    const log = openLog();
    try {
      log.append(new Corpus(13).next(150));
      const { index, slice } = slicer(log);
      log.db.exec(`CREATE TEMP TRIGGER fail BEFORE UPDATE ON search_progress
                   BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
      assert.throws(() => slice.step(), /disk full/);
      assert.equal(index.indexedSize(), 0n);
      assert.equal(log.db.prepare('SELECT count(*) FROM search_entries').pluck().get(), 0n);
      log.db.exec('DROP TRIGGER fail');
      assert.equal(slice.step().read, 100);
      assert.equal(slice.step().read, 50);
      assert.equal(index.indexedSize(), 150n);
    } finally {
      log.close();
    }
  });

  it('ends a slice when its time is up, after at least one entry', () => {
    const log = openLog();
    try {
      log.append(new Corpus(16).next(5));
      const { index, slice } = slicer(log, { sliceMs: 0 });
      for (let i = 1; i <= 5; i++) {
        const r = slice.step();
        assert.equal(r.read, 1);
        assert.equal(r.indexed, BigInt(i));
        assert.deepEqual(
          r.found.map((f) => f.index),
          [BigInt(i - 1)],
        );
      }
      assert.equal(slice.step().read, 0);
      assert.equal(index.indexedSize(), 5n);
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
      // One entry per slice: the first report comes while the lag is still above 50.
      const { follower } = follow(log, { registry, logger, sliceMs: 0 });
      const lag = async () =>
        (await registry.getSingleMetric('ingress_ledger_ledger_search_index_lag_entries')?.get())?.values[0]
          ?.value;
      assert.equal(await lag(), 300);
      await follower.caughtUp();
      assert.equal(await lag(), 0);
      // Read when the report arrives: the worker may be a few slices further on by then.
      const warned = lines
        .filter((l) => l.includes('search index is behind the log'))
        .map((l) => Number((JSON.parse(l) as { lag: string }).lag));
      assert.ok(warned.length === 1 && warned[0]! > 50 && warned[0]! < 300, lines.join(''));
      await follower.stop();
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
      // The first 100 entries as one slice on this thread, then the worker does the rest.
      published.push(...slicer(log).slice.step().found);
      const registry = new Registry();
      const { index, follower } = follow(log, {
        registry,
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
      await follower.stop();
      // The worker's counters reach this thread's registry (the SearchIndex registers them here).
      const findings = await registry.getSingleMetric('ingress_ledger_risk_findings_total')?.get();
      const counted = findings?.values.reduce((n, v) => n + v.value, 0);
      const expected = published.slice(100).reduce((n, p) => n + p.findings.length, 0);
      assert.ok(expected > 0);
      assert.equal(counted, expected);
    } finally {
      log.close();
    }
  });

  it('stops after the slice in progress, and the next start resumes exactly there', async () => {
    const log = openLog();
    try {
      log.append(new Corpus(17).next(600));
      let stopping: Promise<void> | undefined;
      const published: bigint[] = [];
      const { follower } = follow(log, {
        sliceMs: 1,
        publish: (found) => {
          published.push(...found.map((f) => f.index));
          stopping ??= follower.stop();
        },
      });
      follower.notify();
      await follower.caughtUp();
      await stopping;
      const at = log.db.prepare("SELECT indexed FROM search_progress WHERE key = 'indexed'").pluck().get();
      const rows = log.db.prepare('SELECT count(*) FROM search_entries').pluck().get();
      assert.ok((at as bigint) < log.size, 'stopped before the end');
      assert.equal(rows, at, 'no half slice: every row below the position, none above');
      assert.deepEqual(
        published,
        Array.from({ length: Number(at) }, (_, i) => BigInt(i)),
        'every committed slice was published before stop() resolved',
      );
      const { follower: next } = follow(log);
      await next.caughtUp();
      await next.stop();
      const incremental = dump(log.db);
      reindex(log.db, { logger: silentLogger() });
      assert.deepEqual(dump(log.db), incremental);
    } finally {
      log.close();
    }
  });

  it('never holds the write lock when the log writes through the gate', async () => {
    const log = openLog();
    try {
      log.append(new Corpus(18).next(800));
      // No busy handler on the log's connection: meeting the follower's lock would throw SQLITE_BUSY.
      log.db.close();
      log.db = openDb(log.file, 0);
      const buffer = sharedGateBuffer();
      const gate = ledgerGate(buffer);
      const { follower } = follow(log, { gate: buffer });
      follower.notify();
      const more = new Corpus(19);
      let appends = 0;
      while (follower.indexed < 600n) {
        gate.enter();
        try {
          log.append(more.next(5));
        } finally {
          gate.leave();
        }
        appends++;
        await new Promise((r) => setTimeout(r, 2));
      }
      await follower.caughtUp();
      await follower.stop();
      assert.ok(appends > 10, String(appends));
      assert.equal(follower.indexed, log.size);
    } finally {
      log.close();
    }
  });
});

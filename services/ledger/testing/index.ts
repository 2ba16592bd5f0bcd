// Test support: a ledger-shaped SQLite file (entries + bodies, as the ledger lays them out) that
// tests append unsigned leaves to, feeding the search index the way the ledger does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type Change, canonicalJson } from '../../../packages/change/index.js';
import type { Finding } from '../../../packages/risk/index.js';
import { changeOf } from '../../../packages/risk/testing/index.js';
import { silentLogger } from '../../../packages/runtime/index.js';
import { SearchIndex } from '../search/search-index.js';

export interface TestLedger {
  db: Database.Database;
  index: SearchIndex;
  dir: string;
  /** Appends changes as leaves and indexes them in one transaction; returns their findings. */
  append(changes: Change[], bodies?: Map<string, Uint8Array>): { index: bigint; findings: Finding[] }[];
  size(): bigint;
  close(): void;
}

export function leafOf(change: Change): Uint8Array {
  // Unsigned: index tests need the note's shape, not a valid signature.
  return new TextEncoder().encode(`${canonicalJson(change)}\n\n— collector/${change.cluster} AAAA\n`);
}

export function openTestLedger(rulesFile?: string): TestLedger {
  const dir = mkdtempSync(join(tmpdir(), 'search-test-'));
  const db = new Database(join(dir, 'ledger.sqlite'));
  db.defaultSafeIntegers(true);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE entries (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
           CREATE TABLE bodies (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL);`);
  const index = new SearchIndex(
    db,
    rulesFile === undefined ? { logger: silentLogger() } : { logger: silentLogger(), rulesFile },
  );
  const insert = db.prepare('INSERT INTO entries (idx, leaf) VALUES (?, ?)');
  const insertBody = db.prepare('INSERT OR IGNORE INTO bodies (sha256, data) VALUES (?, ?)');
  let size = 0n;
  const ledger: TestLedger = {
    db,
    index,
    dir,
    append(changes, bodies = new Map()) {
      return db.transaction(() => {
        const inputs = changes.map((change) => {
          const idx = size;
          size += 1n;
          insert.run(idx, leafOf(change));
          return { index: idx, change, bodies };
        });
        for (const [h, data] of bodies) insertBody.run(h, data);
        return index.add(inputs);
      })();
    },
    size: () => size,
    close() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return ledger;
}

/** A denied (403) update of Ingress `shop` by mallory at 10:00:<second>: one step of a burst. */
export const denial = (second: number): Change =>
  changeOf({
    object: { kind: 'Ingress', metadata: { name: 'shop' } },
    verb: 'update',
    responseCode: 403,
    user: { username: 'mallory' },
    stageTimestamp: `2026-11-26T10:00:${String(second).padStart(2, '0')}.000000Z`,
  });

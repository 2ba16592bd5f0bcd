// Rebuilds the search tables from the log alone (entries + bodies): the derived data is dropped and
// every leaf is fed through the same path as ingest, in index order, so the result equals the
// incremental index.
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { changeOfLeaf } from './leaf-reader.js';
import { dropSearchTables } from './schema.js';
import { SearchIndex } from './search-index.js';
import type { IndexInput } from './types.js';

/** Entries indexed per transaction during a rebuild. */
export const REINDEX_BATCH = 2000;

export interface ReindexOptions {
  logger: Logger;
  rulesFile?: string;
  /** Called after each batch with the entries done and the total. */
  onProgress?: (done: bigint, total: bigint) => void;
}

/** Drops and rebuilds the search tables; returns the number of entries indexed. */
export function reindex(db: Database.Database, opts: ReindexOptions): bigint {
  dropSearchTables(db);
  const index = new SearchIndex(
    db,
    opts.rulesFile === undefined
      ? { logger: opts.logger }
      : { logger: opts.logger, rulesFile: opts.rulesFile },
  );
  const total = (db.prepare('SELECT count(*) AS n FROM entries').safeIntegers(true).get() as { n: bigint }).n;
  const page = db.prepare<[bigint, bigint], { idx: bigint; leaf: Uint8Array }>(
    'SELECT idx, leaf FROM entries WHERE idx >= ? ORDER BY idx LIMIT ?',
  );
  page.safeIntegers(true);
  const setIndexed = db.prepare("UPDATE search_progress SET indexed = ? WHERE key = 'indexed'");
  let next = 0n;
  let done = 0n;
  const empty = new Map<string, Uint8Array>();
  for (;;) {
    const rows = page.all(next, BigInt(REINDEX_BATCH));
    if (rows.length === 0) break;
    const batch: IndexInput[] = [];
    for (const r of rows) {
      try {
        batch.push({ index: r.idx, change: changeOfLeaf(r.leaf), bodies: empty });
      } catch (error) {
        opts.logger.error(
          { index: String(r.idx), err: error },
          'reindex: leaf text is not a change; skipped',
        );
      }
    }
    done += BigInt(rows.length);
    next = (rows.at(-1)?.idx ?? next) + 1n;
    db.transaction(() => {
      index.add(batch);
      // The follower resumes after the rebuild (a skipped last leaf still counts as done).
      setIndexed.run(next);
    })();
    opts.onProgress?.(done, total);
  }
  return done;
}

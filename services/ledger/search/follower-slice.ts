// One slice of the follower's work: the next committed entries, in index order, indexed in one
// transaction together with the new position (search_progress), so a crash or a stop between
// slices leaves the index exactly at a slice boundary. A slice ends after SLICE_MS of work or
// MAX_SLICE_ENTRIES entries, whichever comes first: it holds SQLite's one write lock throughout, and
// the ledger's next append waits for it (write-gate.ts). Runs in the follower's worker thread.
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { changeOfLeaf } from './leaf-reader.js';
import type { SearchIndex } from './search-index.js';
import type { Finding } from './types.js';

/**
 * Work per follower transaction: bounds how long an append can wait for the write lock. Shorter
 * slices cost more than they save: each commit writes a new FTS5 segment and every page it touched
 * (16 KiB each) to the WAL, and at 5 ms (about 10 entries) indexing took 1.5-2.5x as long per
 * entry as in 250-entry transactions; at 25 ms it is within the noise of those.
 */
export const SLICE_MS = 25;
/** Most entries per follower transaction, however cheap they are. */
export const MAX_SLICE_ENTRIES = 250;
/** Fewest leaves read ahead for a slice. */
const MIN_PAGE = 8;

export type IndexedFindings = { index: bigint; cluster: string; findings: Finding[] };

export interface SliceOptions {
  sliceMs?: number;
  maxEntries?: number;
}

export interface SliceResult {
  /** Entries the slice covered (0: the index has caught up with the committed log). */
  read: number;
  /** The position committed with the slice: entries below it are indexed. */
  indexed: bigint;
  /** Findings of each entry indexed, in index order, for publishing after the commit. */
  found: IndexedFindings[];
}

export class FollowerSlice {
  readonly #db: Database.Database;
  readonly #index: SearchIndex;
  readonly #log: Logger;
  readonly #sliceMs: number;
  readonly #max: number;
  readonly #page: Database.Statement<[bigint, bigint], { idx: bigint; leaf: Uint8Array }>;
  readonly #setIndexed: Database.Statement<[bigint]>;
  /** Leaves read ahead: about what the last slice managed in its time, so little is read twice. */
  #pageSize: number;

  constructor(db: Database.Database, index: SearchIndex, logger: Logger, opts: SliceOptions = {}) {
    this.#db = db;
    this.#index = index;
    this.#log = logger;
    this.#sliceMs = opts.sliceMs ?? SLICE_MS;
    this.#max = Math.max(1, opts.maxEntries ?? MAX_SLICE_ENTRIES);
    this.#pageSize = this.#max;
    this.#page = db.prepare('SELECT idx, leaf FROM entries WHERE idx >= ? ORDER BY idx LIMIT ?');
    this.#page.safeIntegers(true);
    this.#setIndexed = db.prepare("UPDATE search_progress SET indexed = ? WHERE key = 'indexed'");
  }

  /** Indexes the next slice in one transaction (BEGIN IMMEDIATE); throws with nothing committed. */
  step(): SliceResult {
    const from = this.#index.indexedSize();
    // Outside the transaction: committed leaves never change, and reading them holds no lock.
    const rows = this.#page.all(from, BigInt(this.#pageSize));
    if (rows.length === 0) return { read: 0, indexed: from, found: [] };
    const empty = new Map<string, Uint8Array>();
    let read = 0;
    let indexed = from;
    let found: IndexedFindings[] = [];
    // Immediate: a deferred transaction that read first could not upgrade to a write while the
    // ledger's connection writes, and would fail with SQLITE_BUSY instead of waiting.
    this.#db
      .transaction(() => {
        const start = performance.now();
        read = 0;
        found = [];
        for (const r of rows) {
          if (read > 0 && performance.now() - start >= this.#sliceMs) break;
          read++;
          indexed = r.idx + 1n;
          let change: ReturnType<typeof changeOfLeaf>;
          try {
            change = changeOfLeaf(r.leaf);
          } catch (err) {
            // Never in a ledger's log (leaves are verified changes); skipped like reindex does.
            this.#log.error({ index: String(r.idx), err }, 'search follower: leaf is not a change; skipped');
            continue;
          }
          // One entry per call, so the clock is read between entries; the result is the same as one
          // call with all of them (the previous version comes from rows written earlier in this
          // transaction).
          for (const f of this.#index.add([{ index: r.idx, change, bodies: empty }])) found.push(f);
        }
        // Covers a slice whose last leaf was skipped: the position still moves past it.
        this.#setIndexed.run(indexed);
      })
      .immediate();
    this.#pageSize =
      read < rows.length
        ? Math.max(MIN_PAGE, Math.ceil(read * 1.25))
        : Math.min(this.#max, this.#pageSize * 2);
    return { read, indexed, found };
  }
}

// The search index as a follower of the log: appends commit without it, and the follower indexes
// committed entries in index order in its own transactions, a bounded chunk at a time scheduled
// with setImmediate so ingest batches run in between. Its position (search_progress) is written in
// the same transaction as the rows, so a restart resumes exactly where it stopped; alerts are
// published only after that commit. Lag is a gauge and logged while it is large: never silent.
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Finding } from '../../../packages/risk/index.js';
import { changeOfLeaf } from './leaf-reader.js';
import type { SearchIndex } from './search-index.js';
import type { IndexInput } from './types.js';

/** Entries indexed per follower transaction: bounds how long one chunk holds the main thread. */
export const FOLLOW_CHUNK = 250;
/** Lag (entries) above which the follower logs a warning. */
export const LAG_WARN_ENTRIES = 50_000;
/** Least time between two lag warnings. */
const LAG_WARN_EVERY_MS = 10_000;

export type IndexedFindings = { index: bigint; cluster: string; findings: Finding[] };

export interface FollowerOptions {
  logger: Logger;
  registry?: Registry;
  /** The log's committed size. */
  logSize(): bigint;
  /** Called after each follower commit with the findings of the entries it indexed. */
  publish(found: readonly IndexedFindings[]): void;
  chunk?: number;
  lagWarnEntries?: number;
}

export class SearchFollower {
  readonly #db: Database.Database;
  readonly #index: SearchIndex;
  readonly #o: FollowerOptions;
  readonly #chunk: number;
  readonly #lagWarn: bigint;
  readonly #page: Database.Statement<[bigint, bigint], { idx: bigint; leaf: Uint8Array }>;
  readonly #setIndexed: Database.Statement<[bigint]>;
  #scheduled: NodeJS.Immediate | undefined;
  #stopped = false;
  #lastWarn = 0;
  #idle: (() => void)[] = [];

  constructor(db: Database.Database, index: SearchIndex, opts: FollowerOptions) {
    this.#db = db;
    this.#index = index;
    this.#o = opts;
    this.#chunk = opts.chunk ?? FOLLOW_CHUNK;
    this.#lagWarn = BigInt(opts.lagWarnEntries ?? LAG_WARN_ENTRIES);
    this.#page = db.prepare('SELECT idx, leaf FROM entries WHERE idx >= ? ORDER BY idx LIMIT ?');
    this.#page.safeIntegers(true);
    this.#setIndexed = db.prepare("UPDATE search_progress SET indexed = ? WHERE key = 'indexed'");
    if (opts.registry !== undefined) {
      const self = this;
      new Gauge({
        name: 'ledger_search_index_lag_entries',
        help: 'Log entries not yet in the search index (log size minus indexed)',
        registers: [opts.registry],
        collect() {
          this.set(Number(self.lag()));
        },
      });
    }
  }

  /** Entries below this are indexed and visible to queries. */
  get indexed(): bigint {
    return this.#index.indexedSize();
  }

  lag(): bigint {
    const lag = this.#o.logSize() - this.indexed;
    return lag > 0n ? lag : 0n;
  }

  /** New entries committed (or start-up): index them soon. */
  notify(): void {
    if (this.#stopped || this.#scheduled !== undefined) return;
    this.#scheduled = setImmediate(() => this.#run());
  }

  #run(): void {
    this.#scheduled = undefined;
    if (this.#stopped) return;
    let more = false;
    try {
      more = this.step() === this.#chunk;
    } catch (err) {
      // The chunk's transaction rolled back: nothing indexed, position unchanged; retry later.
      this.#o.logger.error({ err }, 'search follower: chunk failed; retrying');
      this.#scheduled = setTimeout(() => this.#run(), 1000) as unknown as NodeJS.Immediate;
      return;
    }
    this.#warnIfLagging();
    if (more || this.indexed < this.#o.logSize()) this.notify();
    else for (const fn of this.#idle.splice(0)) fn();
  }

  /** Indexes one chunk in one transaction, then publishes its findings; returns entries read. */
  step(): number {
    const from = this.indexed;
    const rows = this.#page.all(from, BigInt(this.#chunk));
    if (rows.length === 0) return 0;
    const empty = new Map<string, Uint8Array>();
    const inputs: IndexInput[] = [];
    for (const r of rows) {
      try {
        inputs.push({ index: r.idx, change: changeOfLeaf(r.leaf), bodies: empty });
      } catch (err) {
        // Never in a ledger's log (leaves are verified changes); skipped like reindex does.
        this.#o.logger.error({ index: String(r.idx), err }, 'search follower: leaf is not a change; skipped');
      }
    }
    const last = rows.at(-1)?.idx ?? from;
    const found = this.#db.transaction(() => {
      const out = this.#index.add(inputs);
      // Covers a chunk whose last leaf was skipped: the position still moves past it.
      this.#setIndexed.run(last + 1n);
      return out;
    })();
    this.#o.publish(found);
    return rows.length;
  }

  #warnIfLagging(): void {
    const lag = this.lag();
    if (lag <= this.#lagWarn) return;
    const now = Date.now();
    if (now - this.#lastWarn < LAG_WARN_EVERY_MS) return;
    this.#lastWarn = now;
    this.#o.logger.warn(
      { lag: String(lag), indexed: String(this.indexed), size: String(this.#o.logSize()) },
      'search index is behind the log',
    );
  }

  /** Resolves once every committed entry is indexed (tests, benchmarks). */
  caughtUp(): Promise<void> {
    if (this.indexed >= this.#o.logSize()) return Promise.resolve();
    this.notify();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops indexing; the position is committed, so the next start resumes there. */
  stop(): void {
    this.#stopped = true;
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      clearTimeout(this.#scheduled as unknown as NodeJS.Timeout);
    }
    this.#scheduled = undefined;
    for (const fn of this.#idle.splice(0)) fn();
  }
}

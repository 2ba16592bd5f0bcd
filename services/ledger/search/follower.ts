// The search index as a follower of the log: appends commit without it, and the follower indexes
// committed entries in index order, in its own transactions, on a worker thread with its own
// connection to the WAL database (follower-worker.ts), so indexing uses another core and never
// holds up the ledger's event loop. Each transaction is one short slice (follower-slice.ts) that
// commits the rows with the position (search_progress), so a restart resumes exactly where it
// stopped; findings come back here after that commit and only then are alerts published. Appends
// and checkpoints go first at SQLite's write lock (write-gate.ts). Lag is a gauge and logged while
// it is large: never silent.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { Counter, type Histogram, type Registry } from 'prom-client';
import { searchLagMetric } from '../metrics.js';
import { BUSY_TIMEOUT_MS } from '../store.js';
import { type IndexedFindings, MAX_SLICE_ENTRIES, SLICE_MS } from './follower-slice.js';
import type { SearchIndex } from './search-index.js';

export type { IndexedFindings } from './follower-slice.js';

/** Lag (entries) above which the follower logs a warning. */
export const LAG_WARN_ENTRIES = 50_000;
/** Least time between two lag warnings. */
const LAG_WARN_EVERY_MS = 10_000;
/** While ingest is busy, the follower pauses this many times as long as each slice took. */
export const BUSY_YIELD = 1;
/**
 * While ingest drains a backlog (full batches, more waiting), it pauses this many times as long:
 * the log and its checkpoints come first, the index (a view derived from the log) catches up after.
 */
export const BACKLOG_YIELD = 20;
/** The longest pause between two slices, whatever they took. */
export const MAX_YIELD_MS = 1000;
/** Appends closer together than this mean ingest is busy (a backlog drains, or steady load). */
export const INGEST_BUSY_MS = 200;

/**
 * How long the follower pauses after a slice that took `tookMs`, given how long ago ingest last
 * appended and last reported a backlog (ms; Infinity: never).
 */
export function pauseAfterSlice(
  tookMs: number,
  sinceAppendMs: number,
  sinceBacklogMs: number,
  o: { busyYield: number; backlogYield: number },
): number {
  const factor =
    sinceBacklogMs < INGEST_BUSY_MS ? o.backlogYield : sinceAppendMs < INGEST_BUSY_MS ? o.busyYield : 0;
  return Math.min(MAX_YIELD_MS, Math.round(tookMs * factor));
}
/** How long stop() waits for the worker's slice before terminating it (the slice then rolls back). */
const STOP_GRACE_MS = 10_000;
/** Pause before a worker that died is started again. */
const RESTART_MS = 1000;

export interface FollowerOptions {
  logger: Logger;
  registry?: Registry;
  /** The ledger's database file (WAL mode, search tables created by the SearchIndex). */
  file: string;
  /** The risk rules file the SearchIndex was built with. */
  rulesFile?: string;
  /** The log's committed size. */
  logSize(): bigint;
  /** Observes the `index` stage: from a commit until every committed entry is searchable. */
  stageSeconds?: Histogram<'stage'>;
  /** Called after each follower commit with the findings of the entries it indexed, in order. */
  publish(found: readonly IndexedFindings[]): void;
  /** The write gate's shared buffer (write-gate.ts), also given to the store's ledgerGate. */
  gate: SharedArrayBuffer;
  sliceMs?: number;
  maxEntries?: number;
  lagWarnEntries?: number;
  busyYield?: number;
  backlogYield?: number;
}

/** What the worker is started with. */
export interface FollowerWorkerData {
  file: string;
  rulesFile?: string;
  level: string;
  metrics: boolean;
  gate: SharedArrayBuffer;
  sliceMs: number;
  maxEntries: number;
  busyTimeoutMs: number;
  busyYield: number;
  backlogYield: number;
}

/** `backlog`: ingest appended full batches with more waiting (it drains a backlog). */
export type ToFollower = { type: 'wake'; backlog: boolean } | { type: 'stop' };

export type FromFollower =
  | { type: 'log'; line: string }
  | { type: 'indexed'; indexed: bigint; found: IndexedFindings[] }
  | { type: 'idle'; indexed: bigint }
  | { type: 'counters'; counters: { name: string; labels: Record<string, string | number>; value: number }[] }
  | { type: 'stopped' };

export class SearchFollower {
  readonly #index: SearchIndex;
  readonly #o: FollowerOptions;
  readonly #lagWarn: bigint;
  #worker: Worker | undefined;
  #restart: NodeJS.Timeout | undefined;
  #stopped = false;
  #stopping: Promise<void> | undefined;
  #onStopped: (() => void) | undefined;
  #lastWarn = 0;
  #idle: (() => void)[] = [];
  /** performance.now() of the first commit not yet indexed. */
  #pendingSince: number | undefined;

  /** `index` is the main thread's (queries): the follower reads its committed position from it. */
  constructor(index: SearchIndex, opts: FollowerOptions) {
    this.#index = index;
    this.#o = opts;
    this.#lagWarn = BigInt(opts.lagWarnEntries ?? LAG_WARN_ENTRIES);
    if (opts.registry !== undefined) searchLagMetric(opts.registry, () => Number(this.lag()));
  }

  /** Entries below this are indexed and visible to queries (committed by the worker). */
  get indexed(): bigint {
    return this.#index.indexedSize();
  }

  lag(): bigint {
    const lag = this.#o.logSize() - this.indexed;
    return lag > 0n ? lag : 0n;
  }

  /** New entries committed (or start-up): starts the worker, or wakes it. */
  notify(backlog = false): void {
    if (this.#stopped) return;
    this.#pendingSince ??= performance.now();
    if (this.#worker === undefined) {
      if (this.#restart === undefined) this.#start();
      return;
    }
    this.#worker.postMessage({ type: 'wake', backlog } satisfies ToFollower);
  }

  #start(): void {
    const o = this.#o;
    const data: FollowerWorkerData = {
      file: o.file,
      ...(o.rulesFile === undefined ? {} : { rulesFile: o.rulesFile }),
      level: o.logger.level,
      metrics: o.registry !== undefined,
      gate: o.gate,
      sliceMs: o.sliceMs ?? SLICE_MS,
      maxEntries: o.maxEntries ?? MAX_SLICE_ENTRIES,
      busyTimeoutMs: BUSY_TIMEOUT_MS,
      busyYield: o.busyYield ?? BUSY_YIELD,
      backlogYield: o.backlogYield ?? BACKLOG_YIELD,
    };
    const w = new Worker(new URL('./follower-worker.js', import.meta.url), { workerData: data });
    // Shutdown goes through stop(); a forgotten follower does not keep the process alive.
    w.unref();
    w.on('message', (m: FromFollower) => this.#receive(m));
    w.on('error', (err) => o.logger.error({ err }, 'search follower: worker failed'));
    w.on('exit', (code) => {
      if (this.#worker === w) this.#worker = undefined;
      if (this.#stopped) {
        this.#onStopped?.();
        return;
      }
      // Its last slice either committed (and was reported) or rolled back: a new worker resumes.
      o.logger.error({ code }, 'search follower: worker exited; restarting');
      this.#restart = setTimeout(() => {
        this.#restart = undefined;
        this.notify();
      }, RESTART_MS);
    });
    this.#worker = w;
  }

  #receive(m: FromFollower): void {
    switch (m.type) {
      case 'log':
        this.#relog(m.line);
        return;
      case 'counters':
        for (const c of m.counters) {
          const metric = this.#o.registry?.getSingleMetric(c.name);
          if (metric instanceof Counter) metric.inc(c.labels, c.value);
        }
        return;
      case 'indexed':
        this.#o.publish(m.found);
        this.#warnIfLagging();
        this.#checkIdle(m.indexed);
        return;
      case 'idle':
        this.#checkIdle(m.indexed);
        return;
      case 'stopped':
        this.#onStopped?.();
        return;
    }
  }

  /** A worker's log line, written by this thread's logger (which adds time and process fields). */
  #relog(line: string): void {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, ...fields } = rec;
    const log = this.#o.logger;
    const label = typeof level === 'number' ? log.levels.labels[level] : undefined;
    const text = typeof msg === 'string' ? msg : '';
    switch (label) {
      case 'fatal':
      case 'error':
      case 'warn':
      case 'info':
      case 'debug':
      case 'trace':
        log[label](fields, text);
        return;
      default:
        log.error(fields, text);
    }
  }

  #checkIdle(indexed: bigint): void {
    if (indexed < this.#o.logSize()) return;
    if (this.#pendingSince !== undefined) {
      this.#o.stageSeconds?.observe({ stage: 'index' }, (performance.now() - this.#pendingSince) / 1000);
      this.#pendingSince = undefined;
    }
    for (const fn of this.#idle.splice(0)) fn();
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

  /** Resolves once every committed entry is indexed (tests, benchmarks), or on stop(). */
  caughtUp(): Promise<void> {
    if (this.#stopped || this.indexed >= this.#o.logSize()) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.#idle.push(resolve));
    this.notify();
    return p;
  }

  /**
   * Stops indexing after the worker's slice in progress commits and its findings are published;
   * the position is committed, so the next start resumes there.
   */
  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restart !== undefined) clearTimeout(this.#restart);
    this.#restart = undefined;
    const w = this.#worker;
    this.#stopping ??= (async () => {
      if (w !== undefined) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.#o.logger.warn('search follower: worker did not stop in time; terminated');
            void w.terminate();
          }, STOP_GRACE_MS);
          this.#onStopped = () => {
            clearTimeout(timer);
            resolve();
          };
          w.postMessage({ type: 'stop' } satisfies ToFollower);
        });
        await w.terminate();
      }
      for (const fn of this.#idle.splice(0)) fn();
    })();
    return this.#stopping;
  }
}

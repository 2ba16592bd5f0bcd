// The search follower's worker thread: its own connection to the ledger's WAL database, its own
// SearchIndex (risk rules, recent versions), indexing one slice at a time (follower-slice.ts).
// Findings, logs and metric increments go back to the main thread, which publishes the alerts;
// every message about a slice is posted after that slice committed.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { selectCrypto } from '../../../packages/runtime/index.js';
import { followerGate } from '../write-gate.js';
import { type FollowerWorkerData, type FromFollower, pauseAfterSlice, type ToFollower } from './follower.js';
import { FollowerSlice } from './follower-slice.js';
import { SearchIndex } from './search-index.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

/** Pause after a slice after a failed one, before the slice is retried. */
const RETRY_MS = 1000;

const port = parentPort;
if (port === null) throw new Error('follower-worker runs as a worker thread');
const cfg = workerData as FollowerWorkerData;
const post = (m: FromFollower) => port.postMessage(m);

// Lines go to the main thread's logger, which adds its own time and process fields.
const logger = pino(
  { level: cfg.level, base: null, timestamp: false },
  { write: (line: string) => post({ type: 'log', line }) },
);
const registry = cfg.metrics ? new Registry() : undefined;
const db = new Database(cfg.file, { fileMustExist: true, timeout: cfg.busyTimeoutMs });
db.defaultSafeIntegers(true);
// The index is derived data and its position moves with it: a power cut may lose the last slices,
// never half of one. Also SQLite's WAL default; stated because the ledger's connection says it.
db.pragma('synchronous = NORMAL');
const gate = followerGate(cfg.gate);
// Creating the tables (when missing) and the position row writes: the ledger's writes go first.
gate.acquire();
let index: SearchIndex;
try {
  index = new SearchIndex(db, {
    logger,
    ...(registry === undefined ? {} : { registry }),
    ...(cfg.rulesFile === undefined ? {} : { rulesFile: cfg.rulesFile }),
  });
} finally {
  gate.release();
}
const slices = new FollowerSlice(db, index, logger, { sliceMs: cfg.sliceMs, maxEntries: cfg.maxEntries });

let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
/** The slice in progress, until its messages are posted. */
let running: Promise<void> | undefined;
/** New entries were announced while a slice ran: look again even if it found the log's end. */
let woken = false;
let stopped = false;
let lastAppend = Number.NEGATIVE_INFINITY;
let lastBacklog = Number.NEGATIVE_INFINITY;

function schedule(delayMs: number): void {
  if (stopped || timer !== undefined) return;
  if (running !== undefined) {
    woken = true;
    return;
  }
  const go = () => {
    timer = undefined;
    running = run().then((next) => {
      running = undefined;
      if (stopped) finish();
      else if (next !== undefined) schedule(next);
    });
  };
  timer = delayMs > 0 ? setTimeout(go, delayMs) : setImmediate(go);
}

/** Runs one slice and posts what it did; resolves to the delay before the next (none: idle). */
async function run(): Promise<number | undefined> {
  woken = false;
  let slice: ReturnType<FollowerSlice['step']>;
  const start = performance.now();
  gate.acquire();
  try {
    slice = slices.step();
  } catch (err) {
    // Rolled back: nothing indexed, the position unchanged; the same slice is tried again.
    logger.error({ err }, 'search follower: slice failed; retrying');
    return RETRY_MS;
  } finally {
    gate.release();
  }
  const took = performance.now() - start;
  if (slice.read === 0) post({ type: 'idle', indexed: slice.indexed });
  else post({ type: 'indexed', indexed: slice.indexed, found: slice.found });
  await forwardCounters();
  if (slice.read === 0) return woken ? 0 : undefined;
  // Ingest first: while appends come back to back, leave as much time as the slice took to the
  // verify workers and the main thread. At 1,000 changes/s indexing needs about a quarter of a
  // core, so the index still keeps up. While a backlog drains, leave it most of the time: the index
  // lags and catches up once the backlog is gone.
  const now = performance.now();
  return pauseAfterSlice(took, now - lastAppend, now - lastBacklog, cfg);
}

/** Counter increments since the last call, added to the main thread's counters of the same name. */
async function forwardCounters(): Promise<void> {
  if (registry === undefined) return;
  const counters: { name: string; labels: Record<string, string | number>; value: number }[] = [];
  for (const metric of registry.getMetricsAsArray()) {
    if (!(metric instanceof Counter)) continue;
    const { name, values } = await metric.get();
    for (const v of values) {
      if (v.value > 0)
        counters.push({ name, labels: v.labels as Record<string, string | number>, value: v.value });
    }
  }
  registry.resetMetrics();
  if (counters.length > 0) post({ type: 'counters', counters });
}

function finish(): void {
  db.close();
  post({ type: 'stopped' });
}

port.on('message', (m: ToFollower) => {
  if (m.type === 'wake') {
    lastAppend = performance.now();
    if (m.backlog) lastBacklog = lastAppend;
    schedule(0);
    return;
  }
  // Messages arrive between slices, never inside one: stopping never leaves half a slice, and a
  // slice's findings are posted before 'stopped'.
  if (stopped) return;
  stopped = true;
  if (timer !== undefined) {
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
    timer = undefined;
  }
  if (running === undefined) finish();
});

schedule(0);

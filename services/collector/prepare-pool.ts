// Worker threads that prepare webhook bodies: UTF-8 decoding, JSON.parse, classifying each event and
// signing its change. That is nearly all of the collector's CPU per event; the main thread keeps
// HTTP, publishing and PubAcks. A body goes to a worker as one transferred buffer and comes back as
// one transferred buffer per chunk of prepared items, which the publisher sends while the worker
// prepares the next chunk.
//
// Obligations: a job's items reach its sink in body order, each exactly once; a job whose worker
// stops (crash, out of memory, terminated) fails with CollectorError('UNAVAILABLE') and the worker
// is replaced, so the batch is answered 503 and the sender retries it.
//
// A body is not spread over several workers: each would have to parse all of it to find its items,
// and measured on 2 cores that cost ~30% more CPU per event for no shorter answer.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../packages/runtime/index.js';
import type { PrivateKey } from '../../packages/tlog/index.js';
import type { BodyFormat } from './body-format.js';
import { DEFAULT_MAX_BODY_BYTES } from './config.js';
import { CollectorError } from './errors.js';
import type { PrepareReply, PrepareRequest, PrepareWorkerInit } from './prepare-messages.js';
import { decodePrepared } from './prepared-codec.js';
import type { PreparedSink, PrepareJob } from './publisher.js';

/**
 * One worker per core. The main thread's share (HTTP, publishing, PubAcks) is under half a core at
 * full load, and with fewer workers than cores a core sits idle while the workers are the limit.
 */
export const DEFAULT_WORKERS = Math.max(1, availableParallelism());
/** A worker that stops before it is ready is replaced after this long, not in a tight loop. */
const RESPAWN_DELAY_MS = 1000;
/** Items per chunk a worker answers with: publishing starts after the first chunk is signed. */
export const DEFAULT_CHUNK_ITEMS = 50;
/**
 * Most items in one webhook body. The kube-apiserver sends at most 400 events a batch (its
 * --audit-webhook-batch-max-size); a body of a million `{}` would otherwise cost a million pending
 * publishes.
 */
export const DEFAULT_MAX_BATCH_ITEMS = 10_000;
/**
 * Most rejected (malformed) items in one body: beyond it the body is refused with 400 rather than
 * filling INGRESS_REJECTED with one record per junk item.
 */
export const DEFAULT_MAX_REJECTED_ITEMS = 100;

export interface PreparePoolOptions {
  cluster: string;
  key: PrivateKey;
  resources: readonly string[];
  workers: number;
  logger: Logger;
  chunkItems?: number;
  /** The webhook's body limit (default DEFAULT_MAX_BODY_BYTES); also bounds decompression. */
  maxBodyBytes?: number;
  maxItems?: number;
  maxRejected?: number;
}

interface Job {
  sink: PreparedSink;
  resolve(): void;
  reject(err: Error): void;
  /** Resolved, failed or cancelled: later answers are dropped. */
  settled: boolean;
}

interface Slot {
  worker: Worker;
  /** Jobs given to this worker and not yet answered to their end, by id. */
  jobs: Map<number, Job>;
  /** The worker has loaded its modules and key. */
  ready: boolean;
  /** The worker has stopped and its replacement is not started yet. */
  stopped: boolean;
}

const settle = (job: Job, err?: Error) => {
  if (job.settled) return;
  job.settled = true;
  if (err === undefined) job.resolve();
  else job.reject(err);
};

export class PreparePool {
  readonly #o: PreparePoolOptions;
  readonly #init: PrepareWorkerInit;
  readonly #slots: Slot[] = [];
  #nextId = 0;
  #closed = false;

  constructor(o: PreparePoolOptions) {
    this.#o = o;
    this.#init = {
      cluster: o.cluster,
      skey: o.key.skey,
      resources: [...o.resources],
      chunkItems: o.chunkItems ?? DEFAULT_CHUNK_ITEMS,
      maxBodyBytes: o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      maxItems: o.maxItems ?? DEFAULT_MAX_BATCH_ITEMS,
      maxRejected: o.maxRejected ?? DEFAULT_MAX_REJECTED_ITEMS,
    };
    for (let i = 0; i < Math.max(1, o.workers); i++) this.#slots.push(this.#spawn());
  }

  /** Resolves once every worker has loaded and read its key, so a broken one fails the start. */
  async ready(): Promise<void> {
    await Promise.all(
      this.#slots.map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            // Called late (after an await), a worker may have said so already.
            if (s.ready) {
              resolve();
              return;
            }
            if (s.stopped) {
              reject(new Error('prepare worker exited at start'));
              return;
            }
            const ready = (r: PrepareReply | 'ready') => {
              if (r !== 'ready') return;
              s.worker.off('message', ready);
              s.worker.off('exit', exited);
              resolve();
            };
            const exited = (code: number) => reject(new Error(`prepare worker exited with ${code} at start`));
            s.worker.on('message', ready);
            s.worker.once('exit', exited);
          }),
      ),
    );
  }

  get size(): number {
    return this.#slots.length;
  }

  /** The live worker threads, for tests that stop one on purpose. */
  get threads(): readonly Worker[] {
    return this.#slots.map((s) => s.worker);
  }

  /**
   * Prepares a webhook body, which moves to a worker: the caller must not use it afterwards. Items go
   * to the sink in body order; see PrepareJob for how `done` ends.
   */
  prepare(
    body: Uint8Array,
    observedAt: string,
    sink: PreparedSink,
    format: BodyFormat = 'audit',
  ): PrepareJob {
    if (this.#closed) {
      return {
        done: Promise.reject(new CollectorError('UNAVAILABLE', 'collector closing')),
        cancel: () => undefined,
      };
    }
    const id = this.#nextId++;
    let job: Job | undefined;
    const done = new Promise<void>((resolve, reject) => {
      job = { sink, resolve, reject, settled: false };
    });
    const slot = this.#leastLoaded();
    if (slot === undefined) {
      return {
        done: Promise.reject(new CollectorError('UNAVAILABLE', 'no prepare worker running')),
        cancel: () => undefined,
      };
    }
    slot.jobs.set(id, job as unknown as Job);
    // A Buffer from Node's shared pool must never move, so a view that does not own its whole
    // ArrayBuffer is copied (the webhook reads bodies into buffers of their own).
    const owned =
      body.byteOffset === 0 && body.buffer instanceof ArrayBuffer && body.buffer.byteLength === body.length;
    const data = owned ? (body.buffer as ArrayBuffer) : copy(body);
    const req: PrepareRequest = { id, body: data, length: body.length, observedAt, format };
    slot.worker.postMessage(req, [data]);
    return {
      done,
      cancel: () => settle(job as unknown as Job, new CollectorError('UNAVAILABLE', 'cancelled')),
    };
  }

  #leastLoaded(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.#slots)
      if (!s.stopped && (best === undefined || s.jobs.size < best.jobs.size)) best = s;
    return best;
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./prepare-worker.js', import.meta.url), { workerData: this.#init });
    const slot: Slot = { worker, jobs: new Map(), ready: false, stopped: false };
    worker.on('message', (r: PrepareReply | 'ready') => {
      if (r === 'ready') slot.ready = true;
      else this.#answer(slot, r);
    });
    worker.on('error', (err) => this.#o.logger.error({ err: err.message }, 'prepare worker failed'));
    worker.once('exit', (code) => this.#exited(slot, code));
    return slot;
  }

  #answer(slot: Slot, r: PrepareReply): void {
    const job = slot.jobs.get(r.id);
    if (job === undefined) return;
    if ('error' in r) {
      slot.jobs.delete(r.id);
      settle(
        job,
        r.error.code !== 'INTERNAL'
          ? new CollectorError(r.error.code, r.error.message)
          : new Error(`preparing failed: ${r.error.message}`),
      );
      return;
    }
    if (r.done) slot.jobs.delete(r.id);
    if (job.settled) return;
    try {
      if (r.items !== undefined) job.sink.received(r.items);
      for (const p of decodePrepared(r.chunk, r.length)) job.sink.item(p);
      if (r.done) settle(job);
    } catch (err) {
      settle(job, err as Error);
    }
  }

  #exited(slot: Slot, code: number): void {
    slot.stopped = true;
    // Every job this worker held is lost: their batches fail (503), and the sender retries them.
    for (const job of slot.jobs.values())
      settle(job, new CollectorError('UNAVAILABLE', 'a prepare worker stopped'));
    slot.jobs.clear();
    const at = this.#slots.indexOf(slot);
    if (this.#closed || at < 0) return;
    this.#o.logger.warn({ code }, 'prepare worker stopped; starting another');
    const respawn = () => {
      if (!this.#closed) this.#slots[at] = this.#spawn();
    };
    if (slot.ready) respawn();
    else setTimeout(respawn, RESPAWN_DELAY_MS).unref();
  }

  /** Stops the workers; jobs not yet prepared fail with UNAVAILABLE. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}

/** A copy of the bytes in an ArrayBuffer of their own (Buffer#slice would share the memory). */
function copy(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

// Worker threads that prepare webhook bodies: UTF-8 decoding, JSON.parse, classifying each event and
// signing its change. That is nearly all of the collector's CPU per event; the main thread keeps
// HTTP, publishing and PubAcks. A body goes to a worker as one transferred buffer and comes back as
// one transferred buffer per chunk of prepared items, handed to the publisher in batch order.
//
// Obligations: a job's items reach its sink in batch order, each exactly once; a job whose worker
// stops (crash, out of memory, terminated) fails with CollectorError('UNAVAILABLE') and the worker
// is replaced, so the batch is answered 503 and the sender retries it.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../packages/runtime/index.js';
import type { PrivateKey } from '../../packages/tlog/index.js';
import { CollectorError } from './errors.js';
import type { PreparedItem } from './prepare.js';
import type { PrepareReply, PrepareRequest, PrepareWorkerInit } from './prepare-messages.js';
import { decodePrepared } from './prepared-codec.js';
import type { PreparedSink, PrepareJob } from './publisher.js';

/** One worker per core: the main thread's share (HTTP, publishing) is a fraction of a core. */
export const DEFAULT_WORKERS = Math.max(1, availableParallelism());
/** Items per chunk a worker answers with. */
export const DEFAULT_CHUNK_ITEMS = 50;
/**
 * A body is spread over idle workers only if each gets at least this much of it: every part parses
 * the whole body, which is worth it only when the items of a part cost much more than the parse.
 */
export const DEFAULT_SPLIT_MIN_BYTES = 64 * 1024;

export interface PreparePoolOptions {
  cluster: string;
  key: PrivateKey;
  resources: readonly string[];
  workers: number;
  logger: Logger;
  chunkItems?: number;
  splitMinBytes?: number;
}

/** One webhook body being prepared, possibly in several parts on several workers. */
class Job {
  readonly parts: number;
  /** The part whose items go to the sink now; later parts' chunks wait in `held`. */
  #current = 0;
  readonly #held: { items: PreparedItem[]; done: boolean }[][];
  #settled = false;
  readonly done: Promise<void>;
  #resolve: () => void = () => undefined;
  #reject: (err: Error) => void = () => undefined;

  constructor(
    readonly sink: PreparedSink,
    parts: number,
  ) {
    this.parts = parts;
    this.#held = Array.from({ length: parts }, () => []);
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  chunk(part: number, items: PreparedItem[], done: boolean): void {
    if (this.#settled) return;
    if (part !== this.#current) {
      this.#held[part]?.push({ items, done });
      return;
    }
    this.#deliver(items, done);
    // A finished part lets the next one's held chunks through.
    while (!this.#settled && done && this.#current < this.parts) {
      const held = this.#held[this.#current] ?? [];
      this.#held[this.#current] = [];
      done = false;
      for (const c of held) {
        this.#deliver(c.items, c.done);
        done = c.done;
      }
    }
  }

  #deliver(items: PreparedItem[], done: boolean): void {
    for (const p of items) this.sink.item(p);
    if (!done) return;
    this.#current++;
    if (this.#current === this.parts) {
      this.#settled = true;
      this.#resolve();
    }
  }

  fail(err: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(err);
  }

  get settled(): boolean {
    return this.#settled;
  }
}

interface Slot {
  worker: Worker;
  /** Parts given to this worker and not yet answered to their end, by `${id}/${part}`. */
  assigned: Map<string, Job>;
}

/** A copy of the bytes in an ArrayBuffer of their own (Buffer#slice would share the memory). */
function copy(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

export class PreparePool {
  readonly #o: PreparePoolOptions;
  readonly #init: PrepareWorkerInit;
  readonly #slots: Slot[] = [];
  readonly #jobs = new Map<number, Job>();
  #nextId = 0;
  #closed = false;

  constructor(o: PreparePoolOptions) {
    this.#o = o;
    this.#init = {
      cluster: o.cluster,
      skey: o.key.skey,
      resources: [...o.resources],
      chunkItems: o.chunkItems ?? DEFAULT_CHUNK_ITEMS,
    };
    for (let i = 0; i < Math.max(1, o.workers); i++) this.#slots.push(this.#spawn());
  }

  /** Resolves once every worker has loaded and read its key, so a broken one fails the start. */
  async ready(): Promise<void> {
    await Promise.all(
      this.#slots.map(
        (s) =>
          new Promise<void>((resolve, reject) => {
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
   * Prepares a webhook body (which moves to a worker: the caller must not use it afterwards). Items go
   * to the sink in body order; see PrepareJob for how `done` ends.
   */
  prepare(body: Uint8Array, observedAt: string, sink: PreparedSink): PrepareJob {
    if (this.#closed) {
      return {
        done: Promise.reject(new CollectorError('UNAVAILABLE', 'collector closing')),
        cancel: () => {},
      };
    }
    const id = this.#nextId++;
    // Idle workers share a large body; otherwise the least loaded worker takes it whole.
    const idle = this.#slots.filter((s) => s.assigned.size === 0);
    const splitMin = this.#o.splitMinBytes ?? DEFAULT_SPLIT_MIN_BYTES;
    const parts = Math.max(1, Math.min(idle.length, Math.floor(body.length / splitMin)));
    const targets = parts > 1 ? idle.slice(0, parts) : [this.#leastLoaded()];
    const job = new Job(sink, parts);
    this.#jobs.set(id, job);
    void job.done.then(
      () => this.#jobs.delete(id),
      () => this.#jobs.delete(id),
    );
    // The body moves to the last part's worker; the others get copies. A Buffer from Node's shared
    // pool must never move, so a view that does not own its whole ArrayBuffer is copied too.
    const owned =
      body.byteOffset === 0 && body.buffer instanceof ArrayBuffer && body.buffer.byteLength === body.length;
    targets.forEach((slot, part) => {
      const last = part === targets.length - 1;
      const data = last && owned ? (body.buffer as ArrayBuffer) : copy(body);
      const req: PrepareRequest = { id, part, parts, body: data, length: body.length, observedAt };
      slot.assigned.set(`${id}/${part}`, job);
      slot.worker.postMessage(req, [data]);
    });
    return { done: job.done, cancel: () => job.fail(new CollectorError('UNAVAILABLE', 'cancelled')) };
  }

  #leastLoaded(): Slot {
    let best = this.#slots[0] as Slot;
    for (const s of this.#slots) if (s.assigned.size < best.assigned.size) best = s;
    return best;
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./prepare-worker.js', import.meta.url), { workerData: this.#init });
    const slot: Slot = { worker, assigned: new Map() };
    worker.on('message', (r: PrepareReply | 'ready') => {
      if (r !== 'ready') this.#answer(slot, r);
    });
    worker.on('error', (err) => this.#o.logger.error({ err: err.message }, 'prepare worker failed'));
    worker.once('exit', (code) => this.#exited(slot, code));
    return slot;
  }

  #answer(slot: Slot, r: PrepareReply): void {
    const key = `${r.id}/${r.part}`;
    const job = slot.assigned.get(key);
    if (job === undefined) return;
    if ('error' in r) {
      slot.assigned.delete(key);
      job.fail(
        r.error.code === 'BAD_REQUEST'
          ? new CollectorError('BAD_REQUEST', r.error.message)
          : new Error(`preparing failed: ${r.error.message}`),
      );
      return;
    }
    if (r.done) slot.assigned.delete(key);
    if (job.settled) return;
    try {
      if (r.items !== undefined) job.sink.received(r.items);
      job.chunk(r.part, decodePrepared(r.chunk, r.length), r.done);
    } catch (err) {
      job.fail(err as Error);
    }
  }

  #exited(slot: Slot, code: number): void {
    const at = this.#slots.indexOf(slot);
    // Every part this worker held is lost: their batches fail (503), and the sender retries them.
    for (const job of slot.assigned.values()) {
      job.fail(new CollectorError('UNAVAILABLE', 'a prepare worker stopped'));
    }
    slot.assigned.clear();
    if (this.#closed || at < 0) return;
    this.#o.logger.warn({ code }, 'prepare worker stopped; starting another');
    this.#slots[at] = this.#spawn();
  }

  /** Stops the workers; jobs not yet prepared fail with UNAVAILABLE. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    for (const job of this.#jobs.values()) job.fail(new CollectorError('UNAVAILABLE', 'collector closing'));
  }
}

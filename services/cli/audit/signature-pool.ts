// A pool of worker threads that hash leaves and check their collector signatures, batch by batch.
// Results come back per batch; the caller consumes them in submission order.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FetchedPart } from './fetch.js';
import type { BatchRequest, BatchResult, WorkerInit } from './signature-messages.js';

/**
 * One worker per core. The main thread (receiving answers, finding the entries in their bytes, one
 * copy of each answer into a transferable buffer, appending hashes to the tree) uses a few percent
 * of a core; Ed25519 verification in the workers is the dominant cost, so leaving a core to the main
 * thread would idle more than it saves (measured: docs/performance.md, Audit). --workers overrides it.
 */
export const DEFAULT_WORKERS = availableParallelism();

/** Bytes besides an answer that its buffer may hold and still be handed over (the gRPC frame header). */
const MAX_FOREIGN_BYTES = 16;

interface Pending {
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
}

export class SignaturePool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending & { worker: number }>();
  private nextId = 0;
  private failed: Error | undefined;

  constructor(collectorVkeys: readonly string[], workers = DEFAULT_WORKERS, strict = false) {
    const init: WorkerInit = { collectorVkeys: [...collectorVkeys], strict };
    for (let w = 0; w < Math.max(1, workers); w++) {
      const worker = new Worker(new URL('./signature-worker.js', import.meta.url), { workerData: init });
      worker.on('message', (r: BatchResult) => this.settle(w, r));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`signature worker exited with ${code}`));
      });
      this.workers.push(worker);
      this.load.push(0);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Checks the leaves of one answer: hashes them, compares each hash with the server's claimed one,
   * checks the signatures. The answer's bytes go to a worker as one transferred copy with the
   * entries' offsets; the promise resolves with hashes and failures.
   */
  check(part: FetchedPart): Promise<BatchResult> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const { bytes, spans, count } = part.entries;
    // grpc-js gives each large answer a buffer of its own (the answer after a 5-byte frame header),
    // which it drops once decoded: that buffer moves to the worker as is. A small answer may sit in
    // Node's shared buffer pool, which must never move: it is copied. A fresh megabyte costs page
    // faults, so the copy that can be avoided is.
    const own =
      bytes.buffer.byteLength - bytes.byteLength <= MAX_FOREIGN_BYTES && bytes.buffer instanceof ArrayBuffer;
    const data = own ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
    const at = own ? bytes.byteOffset : 0;
    const offsets = spans.slice(0, 4 * count);
    if (at !== 0) for (let i = 0; i < offsets.length; i++) offsets[i] = (offsets[i] as number) + at;
    // The least loaded worker takes it, so one slow batch does not stall the others.
    let w = 0;
    for (let i = 1; i < this.load.length; i++) if ((this.load[i] ?? 0) < (this.load[w] ?? 0)) w = i;
    const id = this.nextId++;
    const req: BatchRequest = { id, start: part.start, data, spans: offsets };
    return new Promise<BatchResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      this.load[w] = (this.load[w] ?? 0) + 1;
      this.workers[w]?.postMessage(req, [data, offsets.buffer]);
    });
  }

  private settle(w: number, r: BatchResult): void {
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    this.load[w] = (this.load[w] ?? 1) - 1;
    p.resolve(r);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.failed ??= new Error('pool closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

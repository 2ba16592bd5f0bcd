// A pool of worker threads that hash leaves and check their collector signatures, batch by batch.
// Results come back per batch; the caller consumes them in submission order.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BatchRequest, BatchResult, WorkerInit } from './signature-messages.js';

/** One worker per core: the main thread mostly waits on the network and appends hashes. */
export const DEFAULT_WORKERS = availableParallelism();

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

  /** Checks leaves [start, start + leaves.length); the promise resolves with hashes and failures. */
  check(start: bigint, leaves: readonly Uint8Array[]): Promise<BatchResult> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const offsets = new Uint32Array(leaves.length + 1);
    let total = 0;
    leaves.forEach((l, i) => {
      offsets[i] = total;
      total += l.length;
    });
    offsets[leaves.length] = total;
    const data = new Uint8Array(total);
    leaves.forEach((l, i) => {
      data.set(l, offsets[i]);
    });
    // The least loaded worker takes it, so one slow batch does not stall the others.
    let w = 0;
    for (let i = 1; i < this.load.length; i++) if ((this.load[i] ?? 0) < (this.load[w] ?? 0)) w = i;
    const id = this.nextId++;
    const req: BatchRequest = { id, start, data: data.buffer, offsets };
    return new Promise<BatchResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      this.load[w] = (this.load[w] ?? 0) + 1;
      this.workers[w]?.postMessage(req, [data.buffer, offsets.buffer]);
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

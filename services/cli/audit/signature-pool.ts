// A pool of worker threads that hash leaves and check their collector signatures, batch by batch.
// Results come back per batch; the caller consumes them in submission order.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BatchRequest, BatchResult, WorkerInit } from './signature-messages.js';

/**
 * One worker per core. The main thread (gRPC decoding, one copy of each batch into a transferable
 * buffer, appending hashes to the compact range) uses a fraction of a core; Ed25519 verification in
 * the workers is the dominant cost, so leaving a core to the main thread would idle more than it
 * saves (measured: docs/performance.md, Audit). --workers overrides it.
 */
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

  /**
   * Checks leaves [start, start + entries.length): hashes them, compares each hash with the server's
   * claimed one, checks the signatures. The batch goes to a worker as two transferred buffers
   * (leaves back to back with offsets, claimed hashes); the promise resolves with hashes and failures.
   */
  check(start: bigint, entries: readonly { leaf: Uint8Array; leafHash: Uint8Array }[]): Promise<BatchResult> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const n = entries.length;
    const offsets = new Uint32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      offsets[i] = total;
      total += (entries[i] as { leaf: Uint8Array }).leaf.length;
    }
    offsets[n] = total;
    const data = new Uint8Array(total);
    const claimed = new Uint8Array(n * 32);
    const malformed: number[] = [];
    for (let i = 0; i < n; i++) {
      const e = entries[i] as { leaf: Uint8Array; leafHash: Uint8Array };
      data.set(e.leaf, offsets[i]);
      // A claimed hash of the wrong length is never the leaf's hash: the worker is told so.
      if (e.leafHash.length === 32) claimed.set(e.leafHash, i * 32);
      else malformed.push(i);
    }
    // The least loaded worker takes it, so one slow batch does not stall the others.
    let w = 0;
    for (let i = 1; i < this.load.length; i++) if ((this.load[i] ?? 0) < (this.load[w] ?? 0)) w = i;
    const id = this.nextId++;
    const req: BatchRequest = { id, start, data: data.buffer, offsets, claimed: claimed.buffer, malformed };
    return new Promise<BatchResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      this.load[w] = (this.load[w] ?? 0) + 1;
      this.workers[w]?.postMessage(req, [data.buffer, offsets.buffer, claimed.buffer]);
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

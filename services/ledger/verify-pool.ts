// Leaf admission on every core: a batch is split into contiguous slices, one per worker thread, and
// the results are joined back in batch order, so ingest order never depends on thread timing.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Change, ChangeErrorCode } from '../../packages/change/index.js';
import type { PublicKey } from '../../packages/tlog/index.js';
import { LedgerError } from './errors.js';

/** Worker threads when not configured: one per core (the main thread mostly waits on SQLite and NATS). */
export const DEFAULT_VERIFY_WORKERS = availableParallelism();
/** Below this many leaves per worker a batch is not split further: messages cost more than verifies. */
const MIN_SLICE = 16;

export type VerifyResult =
  | { ok: true; change: Change; leafHash: Uint8Array }
  | { ok: false; code: ChangeErrorCode; message: string };

export interface VerifyRequest {
  id: number;
  keysVersion: number;
  vkeys: string[];
  leaves: Uint8Array[];
}

interface Pending {
  resolve(results: VerifyResult[]): void;
  reject(err: Error): void;
}

export class VerifyPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #next = 0;
  #vkeys: string[] = [];
  #keysVersion = 0;
  #closed = false;

  constructor(keys: readonly PublicKey[], size = DEFAULT_VERIFY_WORKERS) {
    this.setKeys(keys);
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = new Worker(new URL('./verify-worker.js', import.meta.url));
      w.on('message', (msg: { id: number; results: VerifyResult[] }) => {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        p?.resolve(msg.results);
      });
      w.on('error', (err) => this.#failAll(err));
      w.unref();
      this.#workers.push(w);
    }
  }

  /** Replaces the accepted collector keys (SIGHUP); batches sent after this use the new keys. */
  setKeys(keys: readonly PublicKey[]): void {
    this.#vkeys = keys.map((k) => k.vkey);
    this.#keysVersion++;
  }

  /** Opens every leaf; results are in the order of `leaves`. */
  async verify(leaves: readonly Uint8Array[]): Promise<VerifyResult[]> {
    if (this.#closed) throw new LedgerError('CLOSED', 'verify pool is closed');
    if (leaves.length === 0) return [];
    const n = this.#workers.length;
    const slice = Math.max(MIN_SLICE, Math.ceil(leaves.length / n));
    const parts: Promise<VerifyResult[]>[] = [];
    for (let at = 0; at < leaves.length; at += slice) {
      parts.push(this.#send(leaves.slice(at, at + slice)));
    }
    return (await Promise.all(parts)).flat();
  }

  #send(leaves: Uint8Array[]): Promise<VerifyResult[]> {
    const id = this.#nextId++;
    const worker = this.#workers[this.#next++ % this.#workers.length];
    if (worker === undefined) return Promise.reject(new LedgerError('CLOSED', 'no workers'));
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const req: VerifyRequest = { id, keysVersion: this.#keysVersion, vkeys: this.#vkeys, leaves };
      worker.postMessage(req);
    });
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#failAll(new LedgerError('CLOSED', 'verify pool closed'));
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

// Leaf admission on every core: a batch is split into contiguous slices, one per worker thread, and
// the results are joined back in batch order, so ingest order never depends on thread timing.
//
// The main thread is the ingest's bottleneck (NATS, SQLite), so the messages are lean: a slice goes
// out as one transferred buffer of leaves back to back, and comes back as one transferred buffer of
// leaf hashes plus each leaf's identity, never as cloned change objects the main thread does not use.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BodyRef, ChangeErrorCode } from '../../packages/change/index.js';
import { HASH_SIZE, type PublicKey } from '../../packages/tlog/index.js';
import { LedgerError } from './errors.js';

/** Worker threads when not configured: one per core (the main thread mostly waits on SQLite and NATS). */
export const DEFAULT_VERIFY_WORKERS = availableParallelism();
/** Below this many leaves per worker a batch is not split further: messages cost more than verifies. */
const MIN_SLICE = 16;

/** What the ingest needs of an admitted leaf, or why it was refused. */
export type VerifyResult =
  | { ok: true; leafHash: Uint8Array; identity: string; bodyRefs: readonly BodyRef[] }
  | { ok: false; code: ChangeErrorCode; message: string };

/** A slice of leaves for one worker. */
export interface VerifyRequest {
  id: number;
  keysVersion: number;
  vkeys: string[];
  /** The leaves back to back (transferred). */
  data: ArrayBuffer;
  /** Leaf i is data[ends[i - 1] ?? 0, ends[i]). */
  ends: Uint32Array;
}

/** A worker's answer, in the order of the request's leaves. */
export interface VerifyResponse {
  id: number;
  /** HASH_SIZE bytes per leaf: its leaf hash, zeroes for a refused leaf (transferred). */
  hashes: ArrayBuffer;
  /** `<cluster>/<auditID>` of each admitted leaf; '' for a refused one. */
  identities: string[];
  /** Refused leaves, by position in the slice. */
  refused: { at: number; code: ChangeErrorCode; message: string }[];
  /** Admitted leaves whose change keeps a body outside the leaf, by position. */
  refs: { at: number; refs: BodyRef[] }[];
}

interface Pending {
  worker: Worker;
  resolve(r: VerifyResponse): void;
  reject(err: Error): void;
}

const NO_REFS: readonly BodyRef[] = Object.freeze([]);

export class VerifyPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  /** Requests in flight per worker: a worker keeps the process alive only while it has one. */
  readonly #busy = new Map<Worker, number>();
  #nextId = 0;
  #next = 0;
  #vkeys: string[] = [];
  #keysVersion = 0;
  #closed = false;
  /** Set when a worker died: every later batch fails (and is redelivered) rather than hanging. */
  #failed: Error | undefined;

  constructor(keys: readonly PublicKey[], size = DEFAULT_VERIFY_WORKERS) {
    this.setKeys(keys);
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = new Worker(new URL('./verify-worker.js', import.meta.url));
      w.on('message', (r: VerifyResponse) => {
        const p = this.#pending.get(r.id);
        this.#pending.delete(r.id);
        if (p !== undefined) this.#done(p.worker);
        p?.resolve(r);
      });
      w.on('error', (err) => {
        this.#failed ??= err;
        this.#failAll(err);
      });
      w.on('exit', (code) => {
        if (this.#closed) return;
        this.#failed ??= new LedgerError('CLOSED', `verify worker exited with ${code}`);
        this.#failAll(this.#failed);
      });
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
    if (this.#failed !== undefined) throw this.#failed;
    if (leaves.length === 0) return [];
    const n = this.#workers.length;
    const slice = Math.max(MIN_SLICE, Math.ceil(leaves.length / n));
    const parts: Promise<VerifyResponse>[] = [];
    for (let at = 0; at < leaves.length; at += slice) {
      parts.push(this.#send(leaves, at, Math.min(leaves.length, at + slice)));
    }
    const results: VerifyResult[] = [];
    for (const r of await Promise.all(parts)) unpack(r, results);
    return results;
  }

  #send(leaves: readonly Uint8Array[], from: number, to: number): Promise<VerifyResponse> {
    const id = this.#nextId++;
    const worker = this.#workers[this.#next++ % this.#workers.length];
    if (worker === undefined) return Promise.reject(new LedgerError('CLOSED', 'no workers'));
    const ends = new Uint32Array(to - from);
    let total = 0;
    for (let i = from; i < to; i++) {
      total += (leaves[i] as Uint8Array).length;
      ends[i - from] = total;
    }
    const data = new Uint8Array(total);
    for (let i = from, at = 0; i < to; i++) {
      const leaf = leaves[i] as Uint8Array;
      data.set(leaf, at);
      at += leaf.length;
    }
    const busy = this.#busy.get(worker) ?? 0;
    if (busy === 0) worker.ref();
    this.#busy.set(worker, busy + 1);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { worker, resolve, reject });
      const req: VerifyRequest = {
        id,
        keysVersion: this.#keysVersion,
        vkeys: this.#vkeys,
        data: data.buffer,
        ends,
      };
      worker.postMessage(req, [data.buffer, ends.buffer]);
    });
  }

  #done(worker: Worker): void {
    const busy = (this.#busy.get(worker) ?? 1) - 1;
    this.#busy.set(worker, busy);
    if (busy === 0) worker.unref();
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) {
      this.#done(p.worker);
      p.reject(err);
    }
    this.#pending.clear();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#failAll(new LedgerError('CLOSED', 'verify pool closed'));
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/** Appends one worker's results, as VerifyResults, to `out`. */
function unpack(r: VerifyResponse, out: VerifyResult[]): void {
  const hashes = new Uint8Array(r.hashes);
  const refused = new Map(r.refused.map((x) => [x.at, x]));
  const refs = new Map(r.refs.map((x) => [x.at, x.refs]));
  for (let i = 0; i < r.identities.length; i++) {
    const no = refused.get(i);
    if (no !== undefined) {
      out.push({ ok: false, code: no.code, message: no.message });
      continue;
    }
    out.push({
      ok: true,
      leafHash: hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE),
      identity: r.identities[i] as string,
      bodyRefs: refs.get(i) ?? NO_REFS,
    });
  }
}

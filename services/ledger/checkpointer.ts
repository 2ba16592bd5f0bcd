// Signs, cosigns and publishes checkpoints (DESIGN 3.3). Before signing it proves the new tree
// consistent with the last signed checkpoint, from stored nodes, so a corrupted store can never
// make the log sign a fork. Signing is rate-limited to one per interval, and happens as soon as the
// interval allows once the tree has grown (notify), not at the next tick of a fixed clock: a batch
// committed just after a tick would otherwise wait a whole interval more. Publishing waits for the
// cosigner (witness quorum), and an unmet quorum keeps the previous published checkpoint; the
// periodic tick retries it. An idle log republishes its checkpoint every republish interval with
// fresh cosignatures, so "the checkpoint is old" always means something is wrong, never "no news".
import type { NatsConnection } from '@nats-io/nats-core';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import {
  CHECKPOINTS_SUBJECT,
  type Clock,
  LOG_ORIGIN_HEADER,
  systemClock,
} from '../../packages/runtime/index.js';
import {
  formatCheckpoint,
  type PrivateKey,
  parseCheckpoint,
  parseNote,
  signNote,
  verifyConsistency,
} from '../../packages/tlog/index.js';
import type { CheckpointCosigner } from './cosigning.js';
import { LedgerError } from './errors.js';
import type { LedgerMetrics } from './metrics.js';
import type { LogStore, StoredCheckpoint } from './store.js';

/**
 * Least time between two signed checkpoints. A commit waits at most this long for its signature;
 * 50 ms keeps webhook → cosigned checkpoint well inside 250 ms at 1,000 events/s (docs/performance.md)
 * for at most 20 signatures and witness round trips a second under load, and none when idle.
 */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 50;
/** Longest time without a published checkpoint before the current one is cosigned and sent again. */
export const DEFAULT_CHECKPOINT_REPUBLISH_INTERVAL_MS = 5 * 60_000;
/**
 * Least time between two republication attempts that missed the quorum: an idle log asks its
 * witnesses again this often (or every republish interval, if shorter), not at every tick.
 */
export const REPUBLISH_RETRY_MS = 10_000;

export interface PublishedCheckpoint {
  note: string;
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
}

export interface CheckpointerDeps {
  store: LogStore;
  key: PrivateKey;
  origin: string;
  cosigner: CheckpointCosigner;
  nc: NatsConnection | undefined;
  logger: Logger;
  metrics: LedgerMetrics | undefined;
  intervalMs: number;
  /** See DEFAULT_CHECKPOINT_REPUBLISH_INTERVAL_MS. */
  republishIntervalMs?: number;
  /** The wall clock for the times in its messages; ages and intervals are monotonic. */
  clock?: Clock;
}

type Listener = (c: PublishedCheckpoint) => void;

function toPublished(c: StoredCheckpoint): PublishedCheckpoint {
  const body = parseCheckpoint(parseNote(c.note).text);
  return { note: c.note, origin: body.origin, size: body.size, rootHash: body.rootHash };
}

export class Checkpointer {
  readonly #d: CheckpointerDeps;
  #published: PublishedCheckpoint | undefined;
  /** When the latest checkpoint was published, on the monotonic clock (age, republish interval). */
  #publishedMono = performance.now();
  /** When the last republication was tried (monotonic). */
  #republishTriedMono = Number.NEGATIVE_INFINITY;
  /** When the witness quorum was first missed since the last round that met it. */
  #quorumMissedSince: { mono: number; wall: number } | undefined;
  /** Why the last round failed (signing, storing), until a round succeeds. */
  #roundFailure: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The round that notify() brought forward, until it runs. */
  #soon: NodeJS.Timeout | undefined;
  /** When the tree first grew past the last signed size (monotonic), for the checkpoint stage. */
  #grewAt: number | undefined;
  /** When the last checkpoint was signed (monotonic clock: a wall-clock step must not stall signing). */
  #signedAt = Number.NEGATIVE_INFINITY;
  #running: Promise<void> = Promise.resolve();
  readonly #listeners = new Set<Listener>();
  readonly #clock: Clock;

  constructor(deps: CheckpointerDeps) {
    this.#d = deps;
    this.#clock = deps.clock ?? systemClock;
    const last = deps.store.lastPublished();
    if (last !== undefined) this.#published = toPublished(last);
    // What was published last met the quorum; the next round says whether that still holds.
    deps.metrics?.witnessQuorumOk.set(1);
    deps.metrics?.integrityOk.set(1);
  }

  /** The latest published checkpoint (undefined only before the first tick). */
  get published(): PublishedCheckpoint | undefined {
    return this.#published;
  }

  get ageSeconds(): number {
    return (performance.now() - this.#publishedMono) / 1000;
  }

  /**
   * Readiness: fails once the witness quorum has been missed for longer than `graceMs` without a
   * round in between that met it.
   */
  quorumCheck(graceMs: number): string | undefined {
    const since = this.#quorumMissedSince;
    if (since === undefined || performance.now() - since.mono <= graceMs) return undefined;
    return `witness quorum missed since ${new Date(since.wall).toISOString()}`;
  }

  /** Readiness: fails while the last checkpoint round failed (the store could not be written…). */
  roundCheck(): string | undefined {
    return this.#roundFailure;
  }

  /** Calls `fn` with every checkpoint published from now on; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Signs the first checkpoint if needed, then ticks every interval. */
  async start(): Promise<void> {
    await this.tick();
    this.#timer = setInterval(() => this.#round(), this.#d.intervalMs);
  }

  /**
   * Tells the checkpointer that the tree has grown: the next round runs as soon as the interval
   * since the last signature allows, rather than at the next tick. Cheap to call after every commit.
   */
  notify(): void {
    this.#grewAt ??= performance.now();
    if (this.#timer === undefined || this.#soon !== undefined) return;
    const wait = Math.max(0, this.#signedAt + this.#d.intervalMs - performance.now());
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.#round();
    }, wait);
  }

  #round(): void {
    this.#running = this.#running.then(() =>
      this.tick(false).then(
        () => {
          this.#roundFailure = undefined;
        },
        (err: unknown) => {
          const code = (err as { code?: unknown }).code;
          const why = typeof code === 'string' ? code : (err as Error).name;
          this.#roundFailure = `last checkpoint round failed at ${new Date(this.#clock.now()).toISOString()} (${why})`;
          if (code === 'INCONSISTENT' || code === 'STORE') {
            // The store contradicts a checkpoint this log signed: nothing will be published again
            // until an operator acts, so say it as loudly as we can (readiness, metric, alert).
            this.#roundFailure = `store integrity: ${(err as Error).message}`;
            this.#d.metrics?.integrityOk.set(0);
            this.#d.logger.fatal(
              { err },
              'store contradicts a signed checkpoint; no checkpoint is published',
            );
            return;
          }
          this.#d.logger.error({ err }, 'checkpoint failed');
        },
      ),
    );
  }

  /**
   * One round: sign when the tree grew (or nothing is signed yet), publish what is signed but
   * unpublished, and republish the current one when nothing was published for the republish
   * interval. Unless forced, signing waits until the interval since the last signature has passed
   * (a round that comes too early still publishes).
   */
  async tick(force = true): Promise<void> {
    const { store } = this.#d;
    let signed = store.lastCheckpoint();
    if (signed === undefined || store.size > signed.size) {
      if (force || performance.now() - this.#signedAt >= this.#d.intervalMs) signed = this.#sign(signed);
      else this.notify();
    }
    if (signed === undefined) return;
    if (this.#published === undefined || this.#published.size < signed.size) await this.#publish(signed);
    else if (this.#republishDue()) {
      // The same size again. Its signed note is reused, not signed anew: Ed25519 signatures are
      // deterministic, so a new one would be the same bytes. The witnesses' cosignatures carry
      // their own timestamps, and asking again for the size they last cosigned gets fresh ones.
      this.#republishTriedMono = performance.now();
      await this.#publish(signed);
    }
  }

  #republishDue(): boolean {
    const interval = this.#d.republishIntervalMs ?? DEFAULT_CHECKPOINT_REPUBLISH_INTERVAL_MS;
    const now = performance.now();
    return (
      now - this.#publishedMono >= interval &&
      now - this.#republishTriedMono >= Math.min(interval, REPUBLISH_RETRY_MS)
    );
  }

  #sign(previous: StoredCheckpoint | undefined): StoredCheckpoint {
    const { store, key, origin } = this.#d;
    store.syncDurable();
    const size = store.size;
    const rootHash = store.rootAt(size);
    if (previous !== undefined && previous.size > 0n) {
      const old = parseCheckpoint(parseNote(previous.note).text);
      try {
        verifyConsistency(old.size, size, old.rootHash, rootHash, store.consistencyProof(old.size, size));
      } catch (err) {
        throw new LedgerError(
          'INCONSISTENT',
          `tree of size ${size} is not consistent with signed checkpoint ${old.size}: ${(err as Error).message}`,
        );
      }
    }
    const note = signNote(formatCheckpoint({ origin, size, rootHash, extensions: [] }), key);
    const c = { size, note };
    store.addCheckpoint(c);
    this.#signedAt = performance.now();
    if (this.#grewAt !== undefined) {
      this.#d.metrics?.stageSeconds.observe({ stage: 'checkpoint' }, (this.#signedAt - this.#grewAt) / 1000);
      this.#grewAt = undefined;
    }
    return c;
  }

  async #publish(signed: StoredCheckpoint): Promise<void> {
    const { store, cosigner, nc, origin } = this.#d;
    const cosignAt = performance.now();
    const cosigned = await cosigner.cosign(signed.note, signed.size, (from) =>
      store.consistencyProof(from, signed.size),
    );
    const publishAt = performance.now();
    this.#d.metrics?.stageSeconds.observe({ stage: 'witness' }, (publishAt - cosignAt) / 1000);
    if (cosigned === undefined) {
      this.#quorumMissedSince ??= { mono: performance.now(), wall: this.#clock.now() };
      this.#d.metrics?.witnessQuorumOk.set(0);
      return;
    }
    this.#quorumMissedSince = undefined;
    this.#d.metrics?.witnessQuorumOk.set(1);
    const c = { size: signed.size, note: cosigned };
    // `published` is append-only: a republication (same size) is sent, not stored; the row of its
    // size keeps the first cosigned note, which stays valid.
    if (this.#published === undefined || this.#published.size < c.size) store.addPublished(c);
    const published = toPublished(c);
    this.#published = published;
    this.#publishedMono = performance.now();
    this.#d.metrics?.publishedSize.set(Number(published.size));
    if (nc !== undefined && !nc.isClosed()) {
      const h = natsHeaders();
      h.set(LOG_ORIGIN_HEADER, origin);
      nc.publish(CHECKPOINTS_SUBJECT, cosigned, { headers: h });
    }
    for (const fn of this.#listeners) fn(published);
    this.#d.metrics?.stageSeconds.observe({ stage: 'publish' }, (performance.now() - publishAt) / 1000);
  }

  /** Stops ticking after a last round, so a stopped ledger's final batch is in a checkpoint. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#soon !== undefined) clearTimeout(this.#soon);
    this.#timer = undefined;
    this.#soon = undefined;
    await this.#running;
    await this.tick().catch((err: unknown) => this.#d.logger.error({ err }, 'final checkpoint failed'));
  }
}

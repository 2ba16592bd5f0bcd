// JetStream ingest: a durable pull consumer feeds batches (by count and age) through the verify
// pool and into one SQLite transaction each. Batches verify concurrently but commit strictly in
// delivery order, and a message is acked (or rejected and terminated) only after its batch commits.
import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { ChangeError, type ChangeErrorCode } from '../../packages/change/index.js';
import {
  CHANGES_STREAM,
  LEDGER_CONSUMER,
  ledgerRejectionMsgId,
  REJECTION_HEADER,
  rejectedSubject,
  rejectionReason,
} from '../../packages/runtime/index.js';
import { fetchBodies } from './bodies.js';
import type { LedgerMetrics } from './metrics.js';
import type { AppendItem, LogStore } from './store.js';
import type { VerifyPool, VerifyResult } from './verify-pool.js';

/** Most messages in one batch (one transaction). */
export const DEFAULT_BATCH_SIZE = 1000;
/** Longest a message waits for its batch to fill before the batch is cut. */
export const DEFAULT_BATCH_AGE_MS = 50;
/** How long JetStream waits for an ack before redelivering (covers a crashed ledger). */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** Batches in flight at once (verifying or committing): bounds memory and redelivery after a crash. */
const BATCHES_IN_FLIGHT = 8;
/**
 * Most batches committed as one transaction: half the messages in flight, so the other half can be
 * delivered and verified while a group commits (a group of every unacked message would idle the
 * verify workers until its acks let JetStream deliver more).
 */
const MAX_GROUP_BATCHES = BATCHES_IN_FLIGHT / 2;
/** Pause before a batch whose commit failed is redelivered. */
const NAK_DELAY_MS = 1000;
/** How often the consumer's backlog (num_pending) is sampled for its metric. */
export const PENDING_SAMPLE_MS = 5000;

export interface IngestOptions {
  batchSize: number;
  batchAgeMs: number;
  ackWaitMs: number;
}

export interface IngestDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  store: LogStore;
  pool: VerifyPool;
  logger: Logger;
  metrics: LedgerMetrics;
  /**
   * Called after each commit that appended entries (wakes the search follower); `backlog` when the
   * commit held a full batch or more are queued behind it, i.e. ingest is draining a backlog.
   */
  onAppended(backlog: boolean): void;
}

/** A cut batch on its way through verification to its commit. */
interface Batch {
  msgs: JsMsg[];
  /** Settles (never rejects) once `results` or `error` is set. */
  verified: Promise<void>;
  results: VerifyResult[] | undefined;
  error: unknown;
  /** performance.now() when its first message arrived, when it was cut, and when it was verified. */
  firstAt: number;
  cutAt: number;
  verifiedAt: number;
}

const NO_BODIES: ReadonlyMap<string, Uint8Array> = new Map();

interface Rejection {
  msg: JsMsg;
  code: ChangeErrorCode;
  message: string;
}

const NS_PER_MS = 1_000_000;

/** The cluster token of `ingress.changes.<cluster>`, for the rejected subject of unreadable leaves. */
function clusterOfSubject(subject: string): string {
  const token = subject.split('.').at(-1);
  return token === undefined || token === '' || token === '*' || token === '>' ? 'unknown' : token;
}

export class Ingest {
  readonly #d: IngestDeps;
  readonly #o: IngestOptions;
  #messages: ConsumerMessages | undefined;
  #buffer: JsMsg[] = [];
  /** performance.now() when the buffer's first message arrived. */
  #bufferFirstAt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Batches cut and not yet committed, in delivery order. */
  readonly #queue: Batch[] = [];
  #committing = false;
  /** The running commit loop (settled when the queue is empty). */
  #chain: Promise<void> = Promise.resolve();
  #stopping = false;
  /** Why the last commit failed, while no commit has succeeded since (readiness). */
  #commitFailure: string | undefined;
  #sampler: NodeJS.Timeout | undefined;
  #sampling = false;
  /** Newest stageTimestamp appended per cluster, ms since the epoch. */
  readonly #lastEventMs = new Map<string, number>();

  constructor(deps: IngestDeps, opts: IngestOptions) {
    this.#d = deps;
    this.#o = opts;
  }

  async start(): Promise<void> {
    const { jsm, js } = this.#d;
    const config = {
      ack_policy: AckPolicy.Explicit,
      ack_wait: this.#o.ackWaitMs * NS_PER_MS,
      max_ack_pending: this.#o.batchSize * BATCHES_IN_FLIGHT,
    };
    const exists = await jsm.consumers.info(CHANGES_STREAM, LEDGER_CONSUMER).then(
      () => true,
      () => false,
    );
    if (exists) await jsm.consumers.update(CHANGES_STREAM, LEDGER_CONSUMER, config);
    else await jsm.consumers.add(CHANGES_STREAM, { durable_name: LEDGER_CONSUMER, ...config });
    const consumer: Consumer = await js.consumers.get(CHANGES_STREAM, LEDGER_CONSUMER);
    this.#messages = await consumer.consume({
      max_messages: Math.min(this.#o.batchSize * 2, this.#o.batchSize * BATCHES_IN_FLIGHT),
      callback: (m) => this.#receive(m),
    });
    this.#samplePending();
    this.#sampler = setInterval(() => this.#samplePending(), PENDING_SAMPLE_MS);
    this.#sampler.unref();
  }

  /**
   * Readiness of the store as ingest sees it: fails from a failed commit until one succeeds. An
   * idle ledger has nothing to fail, and its checkpoint writes (checkpointer) cover it.
   */
  storeCheck(): string | undefined {
    return this.#commitFailure;
  }

  /** One consumer info request at a time; a failure (NATS down) leaves the last value. */
  #samplePending(): void {
    if (this.#sampling) return;
    this.#sampling = true;
    this.#d.jsm.consumers
      .info(CHANGES_STREAM, LEDGER_CONSUMER)
      .then((info) => this.#d.metrics.ingestPending.set(info.num_pending))
      .catch(() => {})
      .finally(() => {
        this.#sampling = false;
      });
  }

  #receive(m: JsMsg): void {
    if (this.#stopping) return; // redelivered after ack wait; never half-processed
    if (this.#buffer.length === 0) {
      this.#bufferFirstAt = performance.now();
      // How long the batch's oldest message sat in JetStream: stored (the server's clock, on this
      // machine or a synchronised one) until delivered here.
      const storedMs = m.info.timestampNanos / NS_PER_MS;
      if (storedMs > 0)
        this.#d.metrics.stageSeconds.observe({ stage: 'queue' }, Math.max(0, Date.now() - storedMs) / 1000);
    }
    this.#buffer.push(m);
    if (this.#buffer.length >= this.#o.batchSize) this.#cut();
    else this.#timer ??= setTimeout(() => this.#cut(), this.#o.batchAgeMs);
  }

  #cut(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const msgs = this.#buffer;
    this.#buffer = [];
    if (msgs.length === 0) return;
    this.#d.metrics.batchSize.observe(msgs.length);
    // Verification starts now, on the workers, while earlier batches are still committing.
    const cutAt = performance.now();
    const batch: Batch = {
      msgs,
      results: undefined,
      error: undefined,
      verified: Promise.resolve(),
      firstAt: this.#bufferFirstAt,
      cutAt,
      verifiedAt: cutAt,
    };
    batch.verified = this.#d.pool.verify(msgs.map((m) => m.data)).then(
      (r) => {
        batch.results = r;
        batch.verifiedAt = performance.now();
      },
      (err: unknown) => {
        batch.error = err;
      },
    );
    this.#queue.push(batch);
    if (!this.#committing) {
      this.#committing = true;
      this.#chain = this.#commitLoop();
    }
  }

  /** Commits queued batches in delivery order until the queue is empty. */
  async #commitLoop(): Promise<void> {
    const queue = this.#queue;
    while (queue.length > 0) {
      await (queue[0] as Batch).verified;
      // The head, plus every batch behind it that is already verified: under load they commit as
      // one transaction, which writes each index page it touches once rather than once per batch.
      let n = 1;
      if ((queue[0] as Batch).error === undefined) {
        while (n < queue.length && n < MAX_GROUP_BATCHES && (queue[n] as Batch).results !== undefined) n++;
      }
      const group = queue.splice(0, n);
      try {
        await this.#commit(group);
        this.#commitFailure = undefined;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        this.#commitFailure = `last append failed at ${new Date().toISOString()} (${typeof code === 'string' ? code : (err as Error).name})`;
        this.#d.logger.error({ err }, 'ingest batch failed; it will be redelivered');
        for (const b of group) for (const m of b.msgs) m.nak(NAK_DELAY_MS);
      }
    }
    this.#committing = false;
  }

  async #commit(group: Batch[]): Promise<void> {
    const { store, metrics, logger } = this.#d;
    const commitAt = performance.now();
    for (const b of group) {
      metrics.stageSeconds.observe({ stage: 'batch' }, (b.cutAt - b.firstAt) / 1000);
      metrics.stageSeconds.observe({ stage: 'verify' }, (b.verifiedAt - b.cutAt) / 1000);
      metrics.stageSeconds.observe({ stage: 'order' }, Math.max(0, commitAt - b.verifiedAt) / 1000);
    }
    const items: (AppendItem & { msg: JsMsg; stageTimeMs: number })[] = [];
    const rejections: Rejection[] = [];
    for (const batch of group) {
      if (batch.error !== undefined) throw batch.error;
      const { msgs, results } = batch;
      if (results === undefined || results.length !== msgs.length)
        throw new Error('verify pool returned a wrong number of results');
      for (let i = 0; i < msgs.length; i++) {
        const msg = msgs[i] as JsMsg;
        const r = results[i] as VerifyResult;
        if (!r.ok) {
          rejections.push({ msg, code: r.code, message: r.message });
          continue;
        }
        let bodies: ReadonlyMap<string, Uint8Array> = NO_BODIES;
        if (r.bodyRefs.length > 0) {
          try {
            bodies = await fetchBodies(this.#d.jsm, r.bodyRefs);
          } catch (err) {
            if (!(err instanceof ChangeError)) throw err;
            rejections.push({ msg, code: err.code, message: err.message });
            continue;
          }
        }
        items.push({
          msg,
          leaf: msg.data,
          leafHash: r.leafHash,
          identity: r.identity,
          bodies,
          stageTimeMs: r.stageTimeMs,
        });
      }
    }
    // The search index follows the log in its own transactions (search/follower.ts).
    const appendAt = performance.now();
    const outcomes = store.append(items);
    const appendSeconds = (performance.now() - appendAt) / 1000;
    metrics.commitSeconds.observe(appendSeconds);
    metrics.stageSeconds.observe({ stage: 'append' }, appendSeconds);
    let appended = 0;
    for (let i = 0; i < outcomes.length; i++) {
      const item = items[i];
      if (outcomes[i] === 'duplicate') metrics.duplicates.inc();
      else {
        appended++;
        if (item !== undefined) this.#sawEvent(item.identity, item.stageTimeMs);
      }
      item?.msg.ack();
    }
    metrics.appended.inc(appended);
    metrics.treeSize.set(Number(store.size));
    if (appended > 0) {
      const backlog = this.#queue.length > 0 || group.some((b) => b.msgs.length >= this.#o.batchSize);
      if (backlog) metrics.backlogCommits.inc();
      this.#d.onAppended(backlog);
    }
    for (const r of rejections) await this.#reject(r);
    if (rejections.length > 0) logger.debug({ count: rejections.length }, 'rejected messages');
  }

  /**
   * Drops the last-event series of clusters not in `clusters` (after a key reload retired their
   * collector key), so the label set stays that of the accepted keys.
   */
  keepClusters(clusters: ReadonlySet<string>): void {
    for (const cluster of [...this.#lastEventMs.keys()]) {
      if (clusters.has(cluster)) continue;
      this.#lastEventMs.delete(cluster);
      this.#d.metrics.lastEventTimestamp.remove({ cluster });
    }
  }

  /** Moves the cluster's last-event gauge forward (never back: entries arrive out of order). */
  #sawEvent(identity: string, stageTimeMs: number): void {
    if (Number.isNaN(stageTimeMs)) return;
    // An identity is `<cluster>/<auditID>`, and a cluster name has no '/' (packages/change).
    const cluster = identity.slice(0, identity.indexOf('/'));
    const last = this.#lastEventMs.get(cluster);
    if (last !== undefined && last >= stageTimeMs) return;
    this.#lastEventMs.set(cluster, stageTimeMs);
    this.#d.metrics.lastEventTimestamp.set({ cluster }, stageTimeMs / 1000);
  }

  async #reject(r: Rejection): Promise<void> {
    const h = natsHeaders();
    if (r.msg.headers !== undefined) {
      for (const [k, vs] of r.msg.headers) for (const v of vs) h.append(k, v);
    }
    h.set(REJECTION_HEADER, rejectionReason(r.code, r.message));
    // A message id, so that a rejection published again after a crash (the message is redelivered
    // before its term reached the server) is stored once.
    await this.#d.js.publish(rejectedSubject(clusterOfSubject(r.msg.subject)), r.msg.data, {
      headers: h,
      msgID: ledgerRejectionMsgId(r.msg.headers?.get('Nats-Msg-Id'), r.msg.seq),
    });
    this.#d.metrics.rejected.inc({ reason: r.code });
    r.msg.term(r.code);
  }

  /** Stops taking messages and waits for every batch already cut or buffered to commit. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#sampler !== undefined) clearInterval(this.#sampler);
    await this.#messages?.close().catch(() => {});
    this.#cut();
    await this.#chain;
  }
}

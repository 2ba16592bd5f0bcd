// Turns audit items into signed changes on JetStream. The durability contract lives here: a batch
// resolves only when every change (its out-of-leaf bodies first) and every rejected item has a
// PubAck; any failure or the deadline fails the whole batch, and the sender retries all of it
// (Nats-Msg-Id deduplication makes the retry harmless). Preparing the items (classifying, signing)
// is prepare.ts: here on the main thread for the log tail, on worker threads for the webhook.
import { headers } from '@nats-io/nats-core';
import {
  ChangeError,
  type ChangeSource,
  changeIdentity,
  openLeaf,
  type ResourceFilter,
} from '../../packages/change/index.js';
import {
  bodyMsgId,
  bodySubject,
  type Clock,
  changesSubject,
  collectorRejectionMsgId,
  type Logger,
  REJECTION_HEADER,
  rejectedSubject,
  rejectionReason,
  SOURCE_HEADER,
  systemClock,
} from '../../packages/runtime/index.js';
import { type PrivateKey, type PublicKey, parseVkey } from '../../packages/tlog/index.js';
import type { AuditItem } from './audit-input.js';
import { CollectorError } from './errors.js';
import type { CollectorMetrics } from './metrics.js';
import { type PreparedItem, prepareItem } from './prepare.js';
import type { StoredLookup } from './stored-message.js';
import { type AckBatch, type StreamAck, StreamAckError, type StreamAcks } from './stream-acks.js';

export interface BatchResult {
  published: number;
  duplicates: number;
  skipped: number;
  rejected: number;
}

export interface PublisherOptions {
  cluster: string;
  key: PrivateKey;
  resources: ResourceFilter;
  metrics: CollectorMetrics;
  logger: Logger;
  /** Reads back what a duplicate PubAck points at (stored-message.ts). */
  stored: StoredLookup;
  /** Where observedAt comes from (default the system clock). */
  clock?: Clock;
}

/** Where a producer hands over a batch's items, in batch order, as they are prepared. */
export interface PreparedSink {
  /** Counts n received audit items (the ingress_ledger_collector_events_received_total metric). */
  received(n: number): void;
  item(p: PreparedItem): void;
}

/**
 * Preparation of one batch under way. `done` resolves once every item went to the sink, or rejects:
 * CollectorError('BAD_REQUEST') when the input is not audit data (nothing was handed over), any other
 * error when preparing failed. `cancel` says nobody waits any more (the deadline passed, a publish
 * failed): what is still to come is dropped.
 */
export interface PrepareJob {
  done: Promise<void>;
  cancel(): void;
}

type ItemResult = 'published' | 'duplicate' | 'skipped' | 'rejected';

export class ChangePublisher {
  readonly #acks: StreamAcks;
  readonly #o: PublisherOptions;
  readonly #vkey: PublicKey;

  constructor(acks: StreamAcks, o: PublisherOptions) {
    this.#acks = acks;
    this.#o = o;
    this.#vkey = parseVkey(o.key.vkey);
  }

  /** Prepares and publishes a batch on this thread; resolves once all of it is durable. */
  publishBatch(items: readonly AuditItem[], source: ChangeSource, deadline: number): Promise<BatchResult> {
    this.#o.metrics.received.inc({ source }, items.length);
    return this.publishPrepared(source, deadline, (sink, observedAt) => {
      const ctx = { ...this.#o, source, observedAt };
      for (const item of items) sink.item(prepareItem(item, ctx));
      return { done: Promise.resolve(), cancel: () => undefined };
    });
  }

  /**
   * Publishes the items `produce` hands to its sink, each as soon as it arrives; resolves once all of
   * them are durable. Throws CollectorError: 'BAD_REQUEST' from the producer as is, anything else
   * (NATS, the deadline, a failed producer) as 'UNAVAILABLE'.
   */
  async publishPrepared(
    source: ChangeSource,
    deadline: number,
    produce: (sink: PreparedSink, observedAt: string) => PrepareJob,
  ): Promise<BatchResult> {
    const observedAt = new Date((this.#o.clock ?? systemClock).now()).toISOString();
    const result: BatchResult = { published: 0, duplicates: 0, skipped: 0, rejected: 0 };
    const batch = this.#acks.batch(deadline);
    const tally = (r: ItemResult) => {
      if (r === 'published') result.published++;
      else if (r === 'duplicate') result.duplicates++;
      else if (r === 'skipped') result.skipped++;
      else result.rejected++;
    };
    // The first failed publish fails the batch at once, as the producer may still be working.
    let failPublish: (err: unknown) => void = () => undefined;
    const publishFailed = new Promise<never>((_, reject) => {
      failPublish = reject;
    });
    publishFailed.catch(() => undefined);
    const outcomes: Promise<void>[] = [];
    const sink: PreparedSink = {
      received: (n) => this.#o.metrics.received.inc({ source }, n),
      item: (p) => {
        outcomes.push(this.#publish(p, source, batch).then(tally, failPublish));
      },
    };
    let job: PrepareJob | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      if (deadline <= Date.now())
        throw new CollectorError('UNAVAILABLE', 'deadline passed before publishing');
      job = produce(sink, observedAt);
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new CollectorError('UNAVAILABLE', 'not prepared before the deadline')),
          deadline - Date.now(),
        );
      });
      await Promise.race([job.done, publishFailed, late]);
      await Promise.race([Promise.all(outcomes), publishFailed]);
    } catch (err) {
      job?.cancel();
      // The input's fault, not the store's: answered as such, and not a publish failure.
      if (err instanceof CollectorError && (err.code === 'BAD_REQUEST' || err.code === 'TOO_LARGE'))
        throw err;
      this.#o.metrics.failed.inc({ source });
      if (err instanceof CollectorError) throw err;
      const why = err instanceof StreamAckError ? `${err.code}: ${err.message}` : (err as Error).message;
      this.#o.logger.warn({ err: why, source }, 'batch not durably published');
      throw new CollectorError('UNAVAILABLE', 'could not publish to JetStream');
    } finally {
      clearTimeout(timer);
      batch.end();
    }
    return result;
  }

  async #publish(p: PreparedItem, source: ChangeSource, batch: AckBatch): Promise<ItemResult> {
    if (p.kind === 'skipped') {
      this.#o.metrics.skipped.inc({ source, reason: p.reason });
      return 'skipped';
    }
    if (p.kind === 'rejected') {
      const h = headers();
      h.set(REJECTION_HEADER, rejectionReason(p.code, p.message));
      h.set(SOURCE_HEADER, source);
      const ack = await batch.publish(
        rejectedSubject(this.#o.cluster),
        p.bytes,
        collectorRejectionMsgId(this.#o.cluster, p.sha256),
        h,
      );
      if (ack.duplicate) await this.#confirm(ack, source, (s) => Buffer.from(p.bytes).equals(s));
      this.#o.metrics.rejected.inc({ source, code: p.code });
      this.#o.logger.debug({ code: p.code, reason: p.message, source }, 'audit item rejected');
      return 'rejected';
    }
    // The ledger must be able to fetch every body a leaf points to, so bodies are durable first.
    if (p.bodies.length > 0) {
      await Promise.all(
        p.bodies.map(async (b) => {
          const ack = await batch.publish(bodySubject(b.sha256), b.data, bodyMsgId(b.sha256));
          if (ack.duplicate) await this.#confirm(ack, source, (s) => Buffer.from(b.data).equals(s));
        }),
      );
    }
    const ack = await batch.publish(changesSubject(this.#o.cluster), p.leaf, p.msgId);
    if (ack.duplicate) {
      // A retry re-signs with a new observedAt, so the bytes differ: ours means our key, same identity.
      await this.#confirm(ack, source, (s) => this.#isOurLeaf(s, p.msgId));
      this.#o.metrics.duplicates.inc({ source });
      return 'duplicate';
    }
    this.#o.metrics.published.inc({ source });
    return 'published';
  }

  /**
   * A duplicate PubAck is success only if the message JetStream holds under that id is the one we
   * meant (see stored-message.ts); otherwise the item must not be answered as stored. Throws
   * CollectorError('UNAVAILABLE'): the sender retries, and once the duplicate window has passed
   * the retry lands.
   */
  async #confirm(ack: StreamAck, source: ChangeSource, ours: (stored: Uint8Array) => boolean): Promise<void> {
    const stored = await this.#o.stored(ack.stream, ack.seq);
    if (stored !== undefined && ours(stored)) return;
    this.#o.metrics.foreignDuplicates.inc({ source, stream: ack.stream });
    this.#o.logger.warn(
      { stream: ack.stream, seq: ack.seq, source, found: stored === undefined ? 'nothing' : 'other bytes' },
      'JetStream holds another message under this message id; not acknowledging the item',
    );
    throw new CollectorError('UNAVAILABLE', 'a duplicate PubAck points at a message that is not ours');
  }

  #isOurLeaf(stored: Uint8Array, msgId: string): boolean {
    try {
      return changeIdentity(openLeaf(stored, [this.#vkey]).change) === msgId;
    } catch (err) {
      if (err instanceof ChangeError) return false;
      throw err;
    }
  }
}

// Turns audit items into signed changes on JetStream. The durability contract lives here: a batch
// resolves only when every change (its out-of-leaf bodies first) and every rejected item has a
// PubAck; any failure or the deadline fails the whole batch, and the sender retries all of it
// (Nats-Msg-Id deduplication makes the retry harmless).
import { createHash } from 'node:crypto';
import { headers } from '@nats-io/nats-core';
import {
  type AuditOutcome,
  auditEventToChange,
  ChangeError,
  type ChangeSource,
  changeIdentity,
  makeLeaf,
  type ResourceFilter,
} from '../../packages/change/index.js';
import { bodySubject, changesSubject, type Logger, rejectedSubject } from '../../packages/runtime/index.js';
import type { PrivateKey } from '../../packages/tlog/index.js';
import { type AuditItem, itemBytes } from './audit-input.js';
import { CollectorError } from './errors.js';
import type { CollectorMetrics } from './metrics.js';
import { type AckBatch, StreamAckError, type StreamAcks } from './stream-acks.js';

/** Header on INGRESS_REJECTED messages: `<CODE>: <message>`. */
export const REJECTION_HEADER = 'Rejection-Reason';
/** Longest Rejection-Reason value; reasons can quote input. */
const MAX_REASON_CHARS = 512;

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
}

type ItemResult = 'published' | 'duplicate' | 'skipped' | 'rejected';

export class ChangePublisher {
  readonly #acks: StreamAcks;
  readonly #o: PublisherOptions;

  constructor(acks: StreamAcks, o: PublisherOptions) {
    this.#acks = acks;
    this.#o = o;
  }

  /** Publishes a batch; resolves once all of it is durable, else throws CollectorError('UNAVAILABLE'). */
  async publishBatch(
    items: readonly AuditItem[],
    source: ChangeSource,
    deadline: number,
  ): Promise<BatchResult> {
    const observedAt = new Date().toISOString();
    this.#o.metrics.received.inc({ source }, items.length);
    const result: BatchResult = { published: 0, duplicates: 0, skipped: 0, rejected: 0 };
    const batch = this.#acks.batch(deadline);
    try {
      if (deadline <= Date.now())
        throw new CollectorError('UNAVAILABLE', 'deadline passed before publishing');
      const outcomes = await Promise.all(items.map((item) => this.#one(item, source, observedAt, batch)));
      for (const r of outcomes) {
        if (r === 'published') result.published++;
        else if (r === 'duplicate') result.duplicates++;
        else if (r === 'skipped') result.skipped++;
        else result.rejected++;
      }
    } catch (err) {
      this.#o.metrics.failed.inc({ source });
      if (err instanceof CollectorError) throw err;
      const why = err instanceof StreamAckError ? `${err.code}: ${err.message}` : (err as Error).message;
      this.#o.logger.warn({ err: why, source }, 'batch not durably published');
      throw new CollectorError('UNAVAILABLE', 'could not publish to JetStream');
    } finally {
      batch.end();
    }
    return result;
  }

  async #one(
    item: AuditItem,
    source: ChangeSource,
    observedAt: string,
    batch: AckBatch,
  ): Promise<ItemResult> {
    if ('invalid' in item) return this.#reject(item, item.error, source, batch);
    let outcome: AuditOutcome;
    try {
      outcome = auditEventToChange(item.event, {
        cluster: this.#o.cluster,
        source,
        observedAt,
        resources: this.#o.resources,
      });
    } catch (err) {
      if (err instanceof ChangeError) return this.#reject(item, err, source, batch);
      throw err;
    }
    if ('skipped' in outcome) {
      this.#o.metrics.skipped.inc({ source, reason: outcome.skipped });
      return 'skipped';
    }
    let made: ReturnType<typeof makeLeaf>;
    try {
      made = makeLeaf(outcome.change, this.#o.key);
    } catch (err) {
      if (err instanceof ChangeError) return this.#reject(item, err, source, batch);
      throw err;
    }
    // The ledger must be able to fetch every body a leaf points to, so bodies are durable first.
    if (made.bodies.length > 0) {
      await Promise.all(
        made.bodies.map((b) => batch.publish(bodySubject(b.sha256), b.data, `body/${b.sha256}`)),
      );
    }
    const ack = await batch.publish(
      changesSubject(this.#o.cluster),
      made.leaf,
      changeIdentity(outcome.change),
    );
    if (ack.duplicate) {
      this.#o.metrics.duplicates.inc({ source });
      return 'duplicate';
    }
    this.#o.metrics.published.inc({ source });
    return 'published';
  }

  async #reject(
    item: AuditItem,
    err: ChangeError,
    source: ChangeSource,
    batch: AckBatch,
  ): Promise<ItemResult> {
    const bytes = Buffer.from(itemBytes(item), 'utf8');
    const h = headers();
    h.set(REJECTION_HEADER, sanitize(`${err.code}: ${err.message}`));
    h.set('Ingress-Source', source);
    const digest = createHash('sha256').update(bytes).digest('hex');
    await batch.publish(rejectedSubject(this.#o.cluster), bytes, `rejected/${this.#o.cluster}/${digest}`, h);
    this.#o.metrics.rejected.inc({ source, code: err.code });
    this.#o.logger.debug({ code: err.code, reason: err.message, source }, 'audit item rejected');
    return 'rejected';
  }
}

// Header values are one line of printable ASCII.
function sanitize(s: string): string {
  const line = s.replace(/[^\x20-\x7e]/g, '?');
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS)}...` : line;
}

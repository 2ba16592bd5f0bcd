// Turns audit items into signed changes on JetStream. The durability contract lives here: a batch
// resolves only when every change (its out-of-leaf bodies first) and every rejected item has a
// PubAck; any failure or the deadline fails the whole batch, and the sender retries all of it
// (Nats-Msg-Id deduplication makes the retry harmless).
import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
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
  readonly #js: JetStreamClient;
  readonly #o: PublisherOptions;

  constructor(js: JetStreamClient, o: PublisherOptions) {
    this.#js = js;
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
    try {
      const outcomes = await Promise.all(items.map((item) => this.#one(item, source, observedAt, deadline)));
      for (const r of outcomes) {
        if (r === 'published') result.published++;
        else if (r === 'duplicate') result.duplicates++;
        else if (r === 'skipped') result.skipped++;
        else result.rejected++;
      }
    } catch (err) {
      this.#o.metrics.failed.inc({ source });
      if (err instanceof CollectorError) throw err;
      this.#o.logger.warn({ err: (err as Error).message, source }, 'batch not durably published');
      throw new CollectorError('UNAVAILABLE', 'could not publish to JetStream');
    }
    return result;
  }

  async #one(
    item: AuditItem,
    source: ChangeSource,
    observedAt: string,
    deadline: number,
  ): Promise<ItemResult> {
    if ('invalid' in item) return this.#reject(item, item.error, source, deadline);
    let outcome: AuditOutcome;
    try {
      outcome = auditEventToChange(item.event, {
        cluster: this.#o.cluster,
        source,
        observedAt,
        resources: this.#o.resources,
      });
    } catch (err) {
      if (err instanceof ChangeError) return this.#reject(item, err, source, deadline);
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
      if (err instanceof ChangeError) return this.#reject(item, err, source, deadline);
      throw err;
    }
    // The ledger must be able to fetch every body a leaf points to, so bodies are durable first.
    await Promise.all(
      made.bodies.map((b) =>
        this.#js.publish(bodySubject(b.sha256), b.data, {
          msgID: `body/${b.sha256}`,
          timeout: remaining(deadline),
        }),
      ),
    );
    const ack = await this.#js.publish(changesSubject(this.#o.cluster), made.leaf, {
      msgID: changeIdentity(outcome.change),
      timeout: remaining(deadline),
    });
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
    deadline: number,
  ): Promise<ItemResult> {
    const bytes = Buffer.from(itemBytes(item), 'utf8');
    const h = headers();
    h.set(REJECTION_HEADER, sanitize(`${err.code}: ${err.message}`));
    h.set('Ingress-Source', source);
    const digest = createHash('sha256').update(bytes).digest('hex');
    await this.#js.publish(rejectedSubject(this.#o.cluster), bytes, {
      msgID: `rejected/${this.#o.cluster}/${digest}`,
      headers: h,
      timeout: remaining(deadline),
    });
    this.#o.metrics.rejected.inc({ source, code: err.code });
    this.#o.logger.debug({ code: err.code, reason: err.message, source }, 'audit item rejected');
    return 'rejected';
  }
}

function remaining(deadline: number): number {
  const ms = deadline - Date.now();
  if (ms <= 0) throw new CollectorError('UNAVAILABLE', 'deadline passed before publishing');
  return ms;
}

// Header values are one line of printable ASCII.
function sanitize(s: string): string {
  const line = s.replace(/[^\x20-\x7e]/g, '?');
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS)}...` : line;
}

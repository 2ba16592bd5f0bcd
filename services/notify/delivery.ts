// One output's delivery loop: a durable pull consumer of INGRESS_ALERTS (`notify-<output>`), so each
// output keeps its own position and a slow or broken receiver holds up only itself.
//
// Obligations (docs/alerts.md, "Delivery"):
// - At least once: a message is acknowledged only after the output delivered it, left it out by
//   filter, or dead-lettered it (stored in INGRESS_ALERTS_DEAD with a PubAck). A notify that stops
//   or dies in between gets the message again from the stream.
// - A failed attempt is put back with a delay that doubles from the retry backoff up to its cap
//   (a JetStream nak with delay, so the wait survives a restart and holds no memory); after
//   max-attempts deliveries, or at once for a failure that cannot pass on retry, the alert is
//   dead-lettered and counted.
// - Deliveries of one output run concurrently up to the consumer's max_ack_pending, so one slow
//   request does not stall the next; ordering across alerts is not promised.
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import {
  ALERT_ID_HEADER,
  ALERTS_STREAM,
  DEAD_ALERTS_STREAM,
  deadAlertSubject,
  decodeAlert,
  notifyConsumer,
  rejectionReason,
} from '../../packages/runtime/index.js';
import { type AlertFilter, wants } from './filter.js';
import type { NotifyMetrics } from './metrics.js';
import { DeliveryError, type Output } from './outputs/output.js';

/** Headers of a dead-lettered alert, beside the original Alert-Id. */
export const DEAD_OUTPUT_HEADER = 'Notify-Output';
export const DEAD_REASON_HEADER = 'Notify-Failure';
export const DEAD_ATTEMPTS_HEADER = 'Notify-Attempts';

export interface RetryPolicy {
  /** Deliveries of one alert before it is dead-lettered. */
  maxAttempts: number;
  /** Delay after the first failure; doubles after each. */
  backoffMs: number;
  backoffMaxMs: number;
  /** Longest time one delivery may take (the outputs' own timeout). */
  timeoutMs: number;
}

/** Alerts of one output in flight at once. */
export const MAX_IN_FLIGHT = 16;
/** Pause before a dead letter that failed to store is tried again (the message comes back). */
const DEAD_LETTER_RETRY_MS = 1000;

/** Delay before attempt `attempt + 1`, after `attempt` (1-based) failed. */
export function backoffDelay(p: RetryPolicy, attempt: number): number {
  return Math.min(p.backoffMaxMs, p.backoffMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

export interface DeliveryDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  output: Output;
  filter: AlertFilter;
  retry: RetryPolicy;
  metrics: NotifyMetrics;
  logger: Logger;
}

export class DeliveryLoop {
  readonly #d: DeliveryDeps;
  readonly #label: { output: string };
  #messages: { stop(): void } | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(d: DeliveryDeps) {
    this.#d = d;
    this.#label = { output: d.output.name };
  }

  get consumer(): string {
    return notifyConsumer(this.#d.output.name);
  }

  async start(): Promise<void> {
    const { jsm, js } = this.#d;
    const name = this.consumer;
    // Long enough for a delivery and its retry inside the output; a message whose handler died
    // comes back after it.
    const config = {
      ack_policy: AckPolicy.Explicit,
      ack_wait: (this.#d.retry.timeoutMs * 2 + 5000) * 1_000_000,
      max_ack_pending: MAX_IN_FLIGHT,
    };
    const exists = await jsm.consumers.info(ALERTS_STREAM, name).then(
      () => true,
      () => false,
    );
    if (exists) await jsm.consumers.update(ALERTS_STREAM, name, config);
    // A new output starts at the stream's oldest alert: nothing published before it existed,
    // while notify was not running, is skipped.
    else
      await jsm.consumers.add(ALERTS_STREAM, {
        durable_name: name,
        deliver_policy: DeliverPolicy.All,
        ...config,
      });
    const consumer = await js.consumers.get(ALERTS_STREAM, name);
    this.#messages = await consumer.consume({
      max_messages: MAX_IN_FLIGHT,
      callback: (m) => this.#track(this.#handle(m)),
    });
  }

  #track(p: Promise<void>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  async #handle(m: JsMsg): Promise<void> {
    const { output, metrics, retry, logger } = this.#d;
    const text = m.string();
    const alert = decodeAlert(text);
    if (alert === undefined) {
      metrics.malformed.inc(this.#label);
      await this.#deadLetter(m, 'MALFORMED: not an alert message', m.info.deliveryCount);
      return;
    }
    if (!wants(this.#d.filter, alert)) {
      metrics.filtered.inc(this.#label);
      m.ack();
      return;
    }
    const attempt = m.info.deliveryCount;
    const t0 = performance.now();
    try {
      await output.deliver(alert, text);
    } catch (err) {
      metrics.failed.inc(this.#label);
      const e =
        err instanceof DeliveryError
          ? err
          : new DeliveryError(`${output.name}: ${(err as Error).message}`, true);
      if (this.#stopped) {
        // Shutting down: the alert comes back at the next start, not as one more attempt used up.
        m.nak();
        return;
      }
      if (e.retryable && attempt < retry.maxAttempts) {
        metrics.retried.inc(this.#label);
        const delay = backoffDelay(retry, attempt);
        logger.warn(
          { output: output.name, id: alert.id, attempt, retryInMs: delay, err: e.message },
          'alert not delivered; will retry',
        );
        m.nak(delay);
        return;
      }
      logger.error(
        { output: output.name, id: alert.id, attempt, err: e.message },
        'alert not delivered; dead-lettered',
      );
      await this.#deadLetter(m, e.message, attempt, alert.id);
      return;
    }
    metrics.sent.inc(this.#label);
    metrics.latency.observe(this.#label, (performance.now() - t0) / 1000);
    m.ack();
  }

  /** Stores the message in INGRESS_ALERTS_DEAD and acks it; on failure the message comes back. */
  async #deadLetter(m: JsMsg, why: string, attempts: number, id?: string): Promise<void> {
    const name = this.#d.output.name;
    const h = natsHeaders();
    if (id !== undefined) h.set(ALERT_ID_HEADER, id);
    h.set(DEAD_OUTPUT_HEADER, name);
    h.set(DEAD_REASON_HEADER, rejectionReason('DELIVERY', why));
    h.set(DEAD_ATTEMPTS_HEADER, String(attempts));
    try {
      await this.#d.js.publish(deadAlertSubject(name), m.data, {
        headers: h,
        msgID: `dead/${name}/${id ?? `seq-${m.seq}`}`,
        expect: { streamName: DEAD_ALERTS_STREAM },
      });
    } catch (err) {
      this.#d.logger.error(
        { output: name, err: (err as Error).message },
        'dead letter not stored; the alert comes back',
      );
      m.nak(DEAD_LETTER_RETRY_MS);
      return;
    }
    this.#d.metrics.deadLettered.inc(this.#label);
    m.ack();
  }

  /** Stops pulling, lets the deliveries in flight finish (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#messages?.stop();
    await Promise.allSettled([...this.#inFlight]);
    await this.#d.output.close?.();
  }
}

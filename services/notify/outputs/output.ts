// An output: one receiver of alerts (a webhook, Slack, syslog, a SIEM), behind the delivery loop
// (delivery.ts), which owns retries, backoff, dead letters and metrics.
//
// Obligations of `deliver`:
// - Resolve only once the receiver took the alert (an HTTP 2xx, a syslog frame written and flushed
//   over TLS); the loop acknowledges the stream message after that, never before.
// - Reject with DeliveryError: `retryable` when a later attempt may succeed (connection refused,
//   timeout, 429, 5xx), not when the receiver refused this alert for good (other 4xx): the loop
//   dead-letters those at once instead of repeating a request that cannot succeed.
// - Never put a credential in an error message: it ends up in logs and in the dead-letter stream.
// - Each call is bounded by the delivery timeout; `close` ends what is open.
import type { Alert } from '../../../packages/runtime/index.js';

/** Names of the outputs: metric labels, consumer names (`notify-<name>`) and setting prefixes. */
export type OutputName = 'webhook' | 'slack' | 'falco' | 'syslog' | 'elasticsearch' | 'loki' | 'splunk';

export interface Output {
  readonly name: OutputName;
  deliver(alert: Alert, raw: string): Promise<void>;
  close?(): Promise<void>;
}

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The DeliveryError for an HTTP answer that is not 2xx. */
export function httpStatusError(output: string, status: number): DeliveryError {
  const retryable = status === 408 || status === 429 || status >= 500;
  return new DeliveryError(`${output}: the receiver answered HTTP ${status}`, retryable);
}

// The generic webhook (DESIGN 13): POSTs each alert as one JSON object (or its CloudEvents form),
// signed with `X-Ingress-Ledger-Signature: sha256=<hex HMAC-SHA256 of the body>` when a secret is
// configured. `X-Ingress-Ledger-Alert-Id` carries the alert id, so a receiver can drop a repeat.
import { createHmac } from 'node:crypto';
import type { Alert } from '../../../packages/runtime/index.js';
import { CLOUDEVENTS_CONTENT_TYPE, cloudEvent } from './cloudevents.js';
import { httpPost } from './http-post.js';
import type { Output } from './output.js';

export const SIGNATURE_HEADER = 'X-Ingress-Ledger-Signature';
export const ALERT_ID_HTTP_HEADER = 'X-Ingress-Ledger-Alert-Id';

export type WebhookFormat = 'json' | 'cloudevents';

/** The signature header's value for `body`. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookOptions {
  url: string;
  secret?: string;
  format: WebhookFormat;
  timeoutMs: number;
}

/** The body and headers of one webhook request (pure, for tests). */
export function webhookRequest(
  o: WebhookOptions,
  a: Alert,
  raw: string,
): { body: string; headers: Record<string, string> } {
  const body = o.format === 'cloudevents' ? cloudEvent(a, raw) : raw;
  const headers: Record<string, string> = {
    'content-type': o.format === 'cloudevents' ? CLOUDEVENTS_CONTENT_TYPE : 'application/json',
    'user-agent': 'ingress-ledger-notify',
    [ALERT_ID_HTTP_HEADER]: a.id,
  };
  if (o.secret !== undefined) headers[SIGNATURE_HEADER] = signature(o.secret, body);
  return { body, headers };
}

export function webhookOutput(o: WebhookOptions): Output {
  return {
    name: 'webhook',
    async deliver(a, raw) {
      const { body, headers } = webhookRequest(o, a, raw);
      await httpPost('webhook', o.url, body, headers, o.timeoutMs);
    },
  };
}

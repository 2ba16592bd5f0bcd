// What a webhook route's body holds, and which `source` its changes carry (DESIGN 3.2, 13). The
// route decides, never the body: a body is read only as its route's format.
import type { ChangeSource } from '../../packages/change/index.js';
import { type AuditItem, aksBodyItems, webhookBodyItems } from './audit-input.js';
import { firehoseItems } from './source-firehose.js';
import { pubsubItems } from './source-pubsub.js';

export type BodyFormat = 'audit' | 'ndjson' | 'eks-firehose' | 'gke-pubsub' | 'aks-eventhubs';

export const FORMAT_SOURCE: Readonly<Record<BodyFormat, ChangeSource>> = {
  audit: 'audit-webhook',
  ndjson: 'audit-webhook',
  'eks-firehose': 'eks-firehose',
  'gke-pubsub': 'gke-pubsub',
  'aks-eventhubs': 'aks-eventhubs',
};

/**
 * How much a Firehose delivery's gzip'd records may decompress to together, as a multiple of the
 * body limit: CloudWatch Logs payloads compress about tenfold, and the whole expansion is held
 * while the delivery is prepared.
 */
export const MAX_EXPANSION = 8;

/**
 * The items of a body in `format`. Throws CollectorError: BAD_REQUEST when the body is not of its
 * format at all, TOO_LARGE when it expands past MAX_EXPANSION × maxBodyBytes.
 */
export function bodyItems(format: BodyFormat, body: Uint8Array, maxBodyBytes: number): AuditItem[] {
  switch (format) {
    case 'audit':
      return webhookBodyItems(body);
    case 'ndjson':
      return webhookBodyItems(body, true);
    case 'eks-firehose':
      return firehoseItems(body, { perRecord: maxBodyBytes, left: MAX_EXPANSION * maxBodyBytes });
    case 'gke-pubsub':
      return pubsubItems(body);
    case 'aks-eventhubs':
      return aksBodyItems(body);
  }
}

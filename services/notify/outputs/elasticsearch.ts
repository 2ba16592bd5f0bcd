// Elasticsearch / OpenSearch bulk API: `POST <url>/_bulk`, NDJSON of an action line and a document.
// The action is `create` with `_id` = the alert id, so a repeat is refused by the index itself
// (409 for that item, counted as delivered): the index holds each alert once.
import type { Alert } from '../../../packages/runtime/index.js';
import { httpPost } from './http-post.js';
import { DeliveryError, type Output } from './output.js';

export const DEFAULT_ES_INDEX = 'ingress-ledger-alerts';

export function bulkBody(a: Alert, raw: string, index: string): string {
  // The document gets an @timestamp (what Kibana and OpenSearch Dashboards sort by).
  const doc = `{"@timestamp":${JSON.stringify(a.stageTimestamp)},${raw.slice(1)}`;
  return `${JSON.stringify({ create: { _index: index, _id: a.id } })}\n${doc}\n`;
}

/** Reads a _bulk answer: throws unless every item was created or already there. */
export function checkBulkAnswer(text: string): void {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new DeliveryError('elasticsearch: the _bulk answer is not JSON', true);
  }
  const r = o as { errors?: unknown; items?: unknown };
  if (r.errors === false) return;
  if (!Array.isArray(r.items)) throw new DeliveryError('elasticsearch: the _bulk answer has no items', true);
  for (const item of r.items as Record<string, { status?: unknown; error?: { type?: unknown } }>[]) {
    const result = item.create ?? item.index;
    const status = typeof result?.status === 'number' ? result.status : 0;
    if ((status >= 200 && status < 300) || status === 409) continue;
    const type = typeof result?.error?.type === 'string' ? result.error.type.slice(0, 100) : 'unknown';
    throw new DeliveryError(
      `elasticsearch: item refused (${status} ${type})`,
      status === 429 || status >= 500,
    );
  }
}

export interface ElasticsearchOptions {
  url: string;
  index: string;
  apiKey?: string;
  user?: string;
  password?: string;
  timeoutMs: number;
}

export function elasticsearchOutput(o: ElasticsearchOptions): Output {
  const url = `${o.url.replace(/\/+$/, '')}/_bulk`;
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (o.apiKey !== undefined) headers.authorization = `ApiKey ${o.apiKey}`;
  else if (o.user !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${o.user}:${o.password ?? ''}`).toString('base64')}`;
  return {
    name: 'elasticsearch',
    async deliver(a, raw) {
      const res = await httpPost('elasticsearch', url, bulkBody(a, raw, o.index), headers, o.timeoutMs, true);
      checkBulkAnswer(res.body);
    },
  };
}

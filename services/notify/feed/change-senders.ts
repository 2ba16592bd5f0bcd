// How a batch of change documents reaches each SIEM output, in that receiver's own protocol and
// with the same address and credentials as its alerts:
// - Elasticsearch/OpenSearch `_bulk`: `create` with `_id` = `<cluster>/<auditID>`, so a batch sent
//   again after a restart is refused item by item (409, taken as delivered): each change once.
// - Loki push: one stream per cluster (few labels, as for alerts), the change's JSON as the line,
//   stamped with its stageTimestamp: a repeat is the same (timestamp, line), which Loki keeps once.
// - Splunk HEC: the events of the batch concatenated in one request, sourcetype
//   `ingress-ledger:change`; HEC has no dedup, so a replayed batch shows up twice (search on `id`).
import type { OutputConfig } from '../config.js';
import { checkBulkAnswer } from '../outputs/elasticsearch.js';
import { httpPost } from '../outputs/http-post.js';
import { LOKI_PATH, unixNanos } from '../outputs/loki.js';
import { splunkUrl } from '../outputs/splunk.js';
import type { ChangeDoc } from './change-doc.js';

export const DEFAULT_ES_CHANGES_INDEX = 'ingress-ledger-changes';
export const SPLUNK_CHANGE_SOURCETYPE = 'ingress-ledger:change';

export type FeedOutputName = 'elasticsearch' | 'loki' | 'splunk';

export interface ChangeSender {
  readonly name: FeedOutputName;
  /** Resolves once the receiver took every document; rejects with a DeliveryError otherwise. */
  send(docs: ChangeDoc[]): Promise<void>;
}

export function bulkChanges(docs: ChangeDoc[], index: string): string {
  let body = '';
  for (const d of docs) {
    body += `${JSON.stringify({ create: { _index: index, _id: d.id } })}\n`;
    body += `${JSON.stringify({ '@timestamp': d.stageTimestamp, ...d })}\n`;
  }
  return body;
}

export function lokiChanges(docs: ChangeDoc[], now = Date.now()): string {
  const streams = new Map<string, [string, string][]>();
  for (const d of docs) {
    const ts = unixNanos(d.stageTimestamp) ?? (BigInt(now) * 1_000_000n).toString();
    let values = streams.get(d.cluster);
    if (values === undefined) streams.set(d.cluster, (values = []));
    values.push([ts, JSON.stringify(d)]);
  }
  return JSON.stringify({
    streams: [...streams].map(([cluster, values]) => ({
      stream: { job: 'ingress-ledger', kind: 'change', cluster },
      values,
    })),
  });
}

export function splunkChanges(docs: ChangeDoc[], hostname: string, index?: string): string {
  return docs
    .map((d) => {
      const ms = Date.parse(d.stageTimestamp);
      return JSON.stringify({
        ...(Number.isFinite(ms) ? { time: ms / 1000 } : {}),
        host: hostname,
        source: 'ingress-ledger',
        sourcetype: SPLUNK_CHANGE_SOURCETYPE,
        ...(index === undefined ? {} : { index }),
        event: d,
      });
    })
    .join('\n');
}

export function changeSender(
  c: Extract<OutputConfig, { kind: FeedOutputName }>,
  o: { hostname: string; timeoutMs: number; esChangesIndex: string },
): ChangeSender {
  switch (c.kind) {
    case 'elasticsearch': {
      const url = `${c.url.replace(/\/+$/, '')}/_bulk`;
      const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
      if (c.apiKey !== undefined) headers.authorization = `ApiKey ${c.apiKey}`;
      else if (c.user !== undefined)
        headers.authorization = `Basic ${Buffer.from(`${c.user}:${c.password ?? ''}`).toString('base64')}`;
      return {
        name: 'elasticsearch',
        async send(docs) {
          const body = bulkChanges(docs, o.esChangesIndex);
          const res = await httpPost('elasticsearch', url, body, headers, o.timeoutMs, true);
          checkBulkAnswer(res.body);
        },
      };
    }
    case 'loki': {
      const url = c.url.replace(/\/+$/, '') + LOKI_PATH;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (c.token !== undefined) headers.authorization = `Bearer ${c.token}`;
      if (c.tenant !== undefined) headers['x-scope-orgid'] = c.tenant;
      return {
        name: 'loki',
        async send(docs) {
          await httpPost('loki', url, lokiChanges(docs), headers, o.timeoutMs);
        },
      };
    }
    case 'splunk': {
      const url = splunkUrl(c.url);
      const headers = { 'content-type': 'application/json', authorization: `Splunk ${c.token}` };
      return {
        name: 'splunk',
        async send(docs) {
          await httpPost('splunk', url, splunkChanges(docs, o.hostname, c.index), headers, o.timeoutMs);
        },
      };
    }
  }
}

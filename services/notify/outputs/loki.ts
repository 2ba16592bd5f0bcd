// Grafana Loki push API: `POST <url>/loki/api/v1/push`, JSON `{streams: [{stream: labels, values:
// [[<unix ns>, <line>]]}]}`. Labels are few and closed-set (job, cluster, rule, severity): Loki
// indexes labels, and a label per object would explode its index. The line is the alert's JSON; the
// timestamp is the audited stageTimestamp, so a repeat is the same (timestamp, line) pair, which
// Loki stores once.
import type { Alert } from '../../../packages/runtime/index.js';
import { httpPost } from './http-post.js';
import type { Output } from './output.js';

export const LOKI_PATH = '/loki/api/v1/push';

/** Nanoseconds since the epoch of an RFC 3339 time with up to nanosecond digits, as a string. */
export function unixNanos(time: string): string | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (m === null) return undefined;
  const secs = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(secs)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return (BigInt(secs) * 1_000_000n + BigInt(frac)).toString();
}

export function lokiPush(a: Alert, raw: string, now = Date.now()): string {
  const ts = unixNanos(a.stageTimestamp) ?? (BigInt(now) * 1_000_000n).toString();
  return JSON.stringify({
    streams: [
      {
        stream: { job: 'ingress-ledger', cluster: a.cluster, rule: a.rule, severity: a.severity },
        values: [[ts, raw]],
      },
    ],
  });
}

export function lokiOutput(o: { url: string; token?: string; tenant?: string; timeoutMs: number }): Output {
  const url = o.url.replace(/\/+$/, '') + LOKI_PATH;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.tenant !== undefined) headers['x-scope-orgid'] = o.tenant;
  return {
    name: 'loki',
    async deliver(a, raw) {
      await httpPost('loki', url, lokiPush(a, raw), headers, o.timeoutMs);
    },
  };
}

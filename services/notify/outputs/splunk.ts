// Splunk HTTP Event Collector: `POST <url>/services/collector/event` with `Authorization: Splunk
// <token>`, one event object whose `event` is the alert; `time` is epoch seconds of stageTimestamp.
import type { Alert } from '../../../packages/runtime/index.js';
import { httpPost } from './http-post.js';
import type { Output } from './output.js';

export const SPLUNK_PATH = '/services/collector/event';
export const SPLUNK_SOURCETYPE = 'ingress-ledger:alert';

export function splunkEvent(a: Alert, raw: string, hostname: string, index?: string): string {
  const ms = Date.parse(a.stageTimestamp);
  const meta = JSON.stringify({
    ...(Number.isFinite(ms) ? { time: ms / 1000 } : {}),
    host: hostname,
    source: 'ingress-ledger',
    sourcetype: SPLUNK_SOURCETYPE,
    ...(index === undefined ? {} : { index }),
  });
  return `${meta.slice(0, -1)},"event":${raw}}`;
}

export function splunkUrl(base: string): string {
  return base.replace(/\/+$/, '') + SPLUNK_PATH;
}

export function splunkOutput(o: {
  url: string;
  token: string;
  hostname: string;
  index?: string;
  timeoutMs: number;
}): Output {
  const url = splunkUrl(o.url);
  return {
    name: 'splunk',
    async deliver(a, raw) {
      await httpPost(
        'splunk',
        url,
        splunkEvent(a, raw, o.hostname, o.index),
        { 'content-type': 'application/json', authorization: `Splunk ${o.token}` },
        o.timeoutMs,
      );
    },
  };
}

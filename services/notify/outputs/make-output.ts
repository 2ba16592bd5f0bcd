// Builds an output from its validated configuration.
import type { OutputConfig } from '../config.js';
import { elasticsearchOutput } from './elasticsearch.js';
import { falcoOutput } from './falco.js';
import { lokiOutput } from './loki.js';
import type { Output } from './output.js';
import { slackOutput } from './slack.js';
import { splunkOutput } from './splunk.js';
import { syslogOutput } from './syslog.js';
import { webhookOutput } from './webhook.js';

export function makeOutput(c: OutputConfig, o: { hostname: string; timeoutMs: number }): Output {
  const { timeoutMs, hostname } = o;
  switch (c.kind) {
    case 'webhook':
      return webhookOutput({
        url: c.url,
        format: c.format,
        timeoutMs,
        ...(c.secret === undefined ? {} : { secret: c.secret }),
      });
    case 'slack':
      return slackOutput({ url: c.url, timeoutMs });
    case 'falco':
      return falcoOutput({ url: c.url, hostname, timeoutMs });
    case 'syslog':
      return syslogOutput({
        host: c.host,
        port: c.port,
        hostname,
        timeoutMs,
        ...(c.ca === undefined ? {} : { ca: c.ca }),
        ...(c.serverName === undefined ? {} : { serverName: c.serverName }),
      });
    case 'elasticsearch':
      return elasticsearchOutput({ ...c, timeoutMs });
    case 'loki':
      return lokiOutput({ ...c, timeoutMs });
    case 'splunk':
      return splunkOutput({ ...c, hostname, timeoutMs });
  }
}

// The notify service's settings (packages/runtime/settings.ts: flag > INGRESS_LEDGER_* > --config
// YAML > default), validated once into a NotifyConfig. Credentials come only from files. Each output
// is on when its address is set, and takes three filter settings named after it.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { TlsFiles } from '../../packages/rpc/index.js';
import {
  type AlertSeverity,
  NATS_SETTINGS,
  type NatsConfig,
  natsConfigFrom,
  type RawSettings as RawSettingsOf,
  SEVERITIES,
  type SettingName,
  type SettingSpec,
  Settings,
} from '../../packages/runtime/index.js';
import type { RetryPolicy } from './delivery.js';
import { DEFAULT_ES_CHANGES_INDEX, type FeedOutputName } from './feed/change-senders.js';
import { type AlertFilter, EVERY_ALERT } from './filter.js';
import { DEFAULT_ES_INDEX } from './outputs/elasticsearch.js';
import type { OutputName } from './outputs/output.js';
import type { WebhookFormat } from './outputs/webhook.js';

export const DEFAULT_MAX_ATTEMPTS = 10;
/** First retry after 1 s, doubling: 10 attempts span about 8.5 minutes. */
export const DEFAULT_RETRY_BACKOFF_MS = 1000;
export const DEFAULT_RETRY_BACKOFF_MAX_MS = 5 * 60_000;
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
export const DEFAULT_CHANGES_BATCH = 500;
export const DEFAULT_CHANGES_LINGER_MS = 200;

/** The setting prefix of each output's filters: `<prefix>-min-severity`, `-rules`, `-clusters`. */
export const FILTER_PREFIX: Record<OutputName, string> = {
  webhook: 'alerts-webhook',
  slack: 'slack',
  falco: 'falco',
  syslog: 'syslog',
  elasticsearch: 'elasticsearch',
  loki: 'loki',
  splunk: 'splunk',
};

function filterSettings<P extends string>(prefix: P, what: string) {
  return [
    {
      name: `${prefix}-min-severity`,
      arg: 'severity',
      help: `send ${what} only alerts at least this severe: critical, high, medium, low (default low)`,
    },
    { name: `${prefix}-rules`, arg: 'list', help: `send ${what} only these rule ids`, multiple: 'comma' },
    {
      name: `${prefix}-clusters`,
      arg: 'list',
      help: `send ${what} only these clusters' alerts`,
      multiple: 'comma',
    },
  ] as const satisfies readonly SettingSpec[];
}

export const NOTIFY_SETTINGS = [
  ...NATS_SETTINGS,
  { name: 'metrics-listen', arg: 'host:port', help: 'serve Prometheus /metrics, /livez and /readyz here' },
  { name: 'alerts-webhook', arg: 'url', help: 'POST each alert as JSON to this URL' },
  {
    name: 'alerts-webhook-secret-file',
    arg: 'file',
    help: 'file holding the HMAC-SHA256 key of X-Ingress-Ledger-Signature',
  },
  {
    name: 'alerts-webhook-format',
    arg: 'json|cloudevents',
    help: 'webhook body: the alert, or its CloudEvents 1.0 form (default json)',
  },
  ...filterSettings('alerts-webhook', 'to the webhook'),
  {
    name: 'slack-webhook-url-file',
    arg: 'file',
    help: 'file holding a Slack incoming-webhook URL (it is a credential)',
  },
  ...filterSettings('slack', 'to Slack'),
  {
    name: 'falco-url',
    arg: 'url',
    help: 'POST Falco-format events here (falcosidekick, or anything that takes Falco JSON)',
  },
  ...filterSettings('falco', 'as Falco events'),
  { name: 'syslog-address', arg: 'host:port', help: 'send RFC 5424 syslog over TLS to this TCP address' },
  {
    name: 'syslog-ca-file',
    arg: 'file',
    help: "PEM CA of the syslog server's certificate (default: the system's)",
  },
  {
    name: 'syslog-server-name',
    arg: 'name',
    help: "name checked in the syslog server's certificate (default: its host)",
  },
  ...filterSettings('syslog', 'to syslog'),
  {
    name: 'elasticsearch-url',
    arg: 'url',
    help: 'Elasticsearch or OpenSearch base URL (alerts go to <url>/_bulk)',
  },
  { name: 'elasticsearch-index', arg: 'name', help: `index of the alerts (default ${DEFAULT_ES_INDEX})` },
  {
    name: 'elasticsearch-api-key-file',
    arg: 'file',
    help: 'file holding an Elasticsearch API key (Authorization: ApiKey)',
  },
  { name: 'elasticsearch-user', arg: 'user', help: 'basic-auth user (with --elasticsearch-password-file)' },
  { name: 'elasticsearch-password-file', arg: 'file', help: 'file holding the basic-auth password' },
  ...filterSettings('elasticsearch', 'to Elasticsearch'),
  { name: 'loki-url', arg: 'url', help: 'Loki base URL (alerts go to <url>/loki/api/v1/push)' },
  { name: 'loki-token-file', arg: 'file', help: 'file holding a bearer token for Loki' },
  { name: 'loki-tenant', arg: 'id', help: 'X-Scope-OrgID tenant of a multi-tenant Loki' },
  ...filterSettings('loki', 'to Loki'),
  {
    name: 'splunk-url',
    arg: 'url',
    help: 'Splunk HEC base URL (alerts go to <url>/services/collector/event)',
  },
  { name: 'splunk-token-file', arg: 'file', help: 'file holding the HEC token (Authorization: Splunk)' },
  { name: 'splunk-index', arg: 'name', help: "Splunk index of the events (default: the token's)" },
  ...filterSettings('splunk', 'to Splunk'),
  {
    name: 'elasticsearch-changes',
    arg: 'on|off',
    help: 'also stream every change of the log to Elasticsearch (default off; needs --ledger-address)',
  },
  {
    name: 'elasticsearch-changes-index',
    arg: 'name',
    help: `index of the changes feed (default ${DEFAULT_ES_CHANGES_INDEX})`,
  },
  {
    name: 'loki-changes',
    arg: 'on|off',
    help: 'also stream every change of the log to Loki (default off; needs --ledger-address)',
  },
  {
    name: 'splunk-changes',
    arg: 'on|off',
    help: 'also stream every change of the log to Splunk HEC (default off; needs --ledger-address)',
  },
  { name: 'ledger-address', arg: 'host:port', help: "the ledger's gRPC address, read by the changes feed" },
  { name: 'ledger-ca-file', arg: 'file', help: "PEM CA of the ledger's gRPC certificate (TLS when set)" },
  { name: 'ledger-cert-file', arg: 'file', help: 'client certificate for the ledger (mutual TLS)' },
  { name: 'ledger-key-file', arg: 'file', help: 'key of --ledger-cert-file' },
  {
    name: 'data-dir',
    arg: 'dir',
    help: "directory of the changes feed's saved positions (required with a --*-changes output)",
  },
  {
    name: 'changes-batch',
    arg: 'n',
    help: `most changes in one request of the changes feed (default ${DEFAULT_CHANGES_BATCH})`,
  },
  {
    name: 'max-attempts',
    arg: 'n',
    help: `deliveries of one alert before it is dead-lettered (default ${DEFAULT_MAX_ATTEMPTS})`,
  },
  {
    name: 'retry-backoff',
    arg: 'duration',
    help: `first retry delay, doubled after each failure (default ${DEFAULT_RETRY_BACKOFF_MS / 1000}s)`,
  },
  {
    name: 'retry-backoff-max',
    arg: 'duration',
    help: `longest retry delay (default ${DEFAULT_RETRY_BACKOFF_MAX_MS / 60_000}m)`,
  },
  {
    name: 'delivery-timeout',
    arg: 'duration',
    help: `longest time one delivery may take (default ${DEFAULT_DELIVERY_TIMEOUT_MS / 1000}s)`,
  },
  {
    name: 'hostname',
    arg: 'name',
    help: "host name in syslog, Falco and Splunk events (default: this machine's)",
  },
] as const;

export type NotifySetting = SettingName<typeof NOTIFY_SETTINGS>;
export type RawSettings = RawSettingsOf<NotifySetting>;

export type OutputConfig =
  | { kind: 'webhook'; url: string; secret?: string; format: WebhookFormat }
  | { kind: 'slack'; url: string }
  | { kind: 'falco'; url: string }
  | { kind: 'syslog'; host: string; port: number; ca?: string; serverName?: string }
  | { kind: 'elasticsearch'; url: string; index: string; apiKey?: string; user?: string; password?: string }
  | { kind: 'loki'; url: string; token?: string; tenant?: string }
  | { kind: 'splunk'; url: string; token: string; index?: string };

export interface FeedConfig {
  outputs: FeedOutputName[];
  ledgerAddress: string;
  tls: TlsFiles;
  dataDir: string;
  batch: number;
  lingerMs: number;
  esIndex: string;
}

export interface NotifyConfig {
  nats: NatsConfig;
  /** The changes feed, when an output streams every change. */
  feed?: FeedConfig;
  metricsListen?: string;
  outputs: { output: OutputConfig; filter: AlertFilter }[];
  retry: RetryPolicy;
  hostname: string;
}

/** An absolute http(s) URL; credentials in it are refused (they belong in files). */
function url(s: Settings<NotifySetting>, name: NotifySetting, text: string, allowSecret = false): string {
  if (text.length > 2048) s.fail(name, 'is longer than 2048 characters');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    // Never echo a URL that may be a credential (Slack's).
    s.fail(name, allowSecret ? 'is not a URL' : `"${text.slice(0, 100)}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') s.fail(name, 'must be an http:// or https:// URL');
  if (u.username !== '' || u.password !== '')
    s.fail(name, 'must not hold credentials (use the -file settings)');
  return u.toString();
}

function filterOf(s: Settings<NotifySetting>, prefix: string): AlertFilter {
  const sevName = `${prefix}-min-severity` as NotifySetting;
  const sev = s.get(sevName);
  if (sev !== undefined && !SEVERITIES.includes(sev as AlertSeverity))
    s.fail(sevName, `"${sev.slice(0, 50)}" is not one of ${SEVERITIES.join(', ')}`);
  const f: AlertFilter = {
    ...EVERY_ALERT,
    ...(sev === undefined ? {} : { minSeverity: sev as AlertSeverity }),
  };
  const rules = s.list(`${prefix}-rules` as NotifySetting);
  if (rules !== undefined) f.rules = new Set(rules);
  const clusters = s.list(`${prefix}-clusters` as NotifySetting);
  if (clusters !== undefined) f.clusters = new Set(clusters);
  return f;
}

/** Validates settings into a NotifyConfig; `raw` is settings given in code (tests, `up`). */
export function notifyConfig(from: Settings<NotifySetting> | RawSettings): NotifyConfig {
  const s: Settings<NotifySetting> = from instanceof Settings ? from : Settings.of(from);
  const outputs: OutputConfig[] = [];
  const hook = s.get('alerts-webhook');
  const format = s.get('alerts-webhook-format') ?? 'json';
  if (format !== 'json' && format !== 'cloudevents')
    s.fail('alerts-webhook-format', 'must be json or cloudevents');
  if (hook !== undefined) {
    const secret = s.secretFile('alerts-webhook-secret-file');
    outputs.push({
      kind: 'webhook',
      url: url(s, 'alerts-webhook', hook),
      format,
      ...(secret === undefined ? {} : { secret }),
    });
  } else if (s.has('alerts-webhook-secret-file'))
    s.fail('alerts-webhook-secret-file', 'needs --alerts-webhook');
  const slack = s.secretFile('slack-webhook-url-file');
  if (slack !== undefined)
    outputs.push({ kind: 'slack', url: url(s, 'slack-webhook-url-file', slack, true) });
  const falco = s.get('falco-url');
  if (falco !== undefined) outputs.push({ kind: 'falco', url: url(s, 'falco-url', falco) });
  const syslog = s.hostPort('syslog-address');
  if (syslog !== undefined) {
    const i = syslog.lastIndexOf(':');
    const host = syslog.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    const port = Number(syslog.slice(i + 1));
    if (port === 0) s.fail('syslog-address', 'needs a port other than 0');
    const ca = s.get('syslog-ca-file');
    const caPem = ca === undefined ? undefined : readPem(s, 'syslog-ca-file');
    const serverName = s.get('syslog-server-name');
    outputs.push({
      kind: 'syslog',
      host,
      port,
      ...(caPem === undefined ? {} : { ca: caPem }),
      ...(serverName === undefined ? {} : { serverName }),
    });
  }
  const es = s.get('elasticsearch-url');
  if (es !== undefined) {
    const apiKey = s.secretFile('elasticsearch-api-key-file');
    const user = s.get('elasticsearch-user');
    const password = s.secretFile('elasticsearch-password-file');
    if (apiKey !== undefined && user !== undefined)
      s.fail('elasticsearch-user', 'give either --elasticsearch-api-key-file or a user, not both');
    if (password !== undefined && user === undefined)
      s.fail('elasticsearch-password-file', 'needs --elasticsearch-user');
    const index = s.get('elasticsearch-index') ?? DEFAULT_ES_INDEX;
    // Elasticsearch's own index name rules, checked here rather than per request.
    if (!/^[a-z0-9][a-z0-9._-]{0,254}$/.test(index))
      s.fail('elasticsearch-index', 'is not a valid index name (lower-case letters, digits, . _ -)');
    outputs.push({
      kind: 'elasticsearch',
      url: url(s, 'elasticsearch-url', es),
      index,
      ...(apiKey === undefined ? {} : { apiKey }),
      ...(user === undefined ? {} : { user }),
      ...(password === undefined ? {} : { password }),
    });
  }
  const loki = s.get('loki-url');
  if (loki !== undefined) {
    const token = s.secretFile('loki-token-file');
    const tenant = s.get('loki-tenant');
    if (tenant !== undefined && !/^[A-Za-z0-9!._*'()-]{1,150}$/.test(tenant))
      s.fail('loki-tenant', 'is not a valid tenant id');
    outputs.push({
      kind: 'loki',
      url: url(s, 'loki-url', loki),
      ...(token === undefined ? {} : { token }),
      ...(tenant === undefined ? {} : { tenant }),
    });
  }
  const splunk = s.get('splunk-url');
  if (splunk !== undefined) {
    const token = s.secretFile('splunk-token-file');
    if (token === undefined) s.fail('splunk-token-file', 'is required with --splunk-url');
    const index = s.get('splunk-index');
    outputs.push({
      kind: 'splunk',
      url: url(s, 'splunk-url', splunk),
      token,
      ...(index === undefined ? {} : { index }),
    });
  } else if (s.has('splunk-token-file')) s.fail('splunk-token-file', 'needs --splunk-url');
  for (const name of ['slack', 'falco', 'syslog', 'elasticsearch', 'loki', 'splunk', 'webhook'] as const) {
    if (!outputs.some((o) => o.kind === name)) {
      const p = FILTER_PREFIX[name];
      for (const suffix of ['min-severity', 'rules', 'clusters']) {
        const n = `${p}-${suffix}` as NotifySetting;
        if (s.has(n)) s.fail(n, `filters an output that is not configured`);
      }
    }
  }
  const timeoutMs = s.duration('delivery-timeout', DEFAULT_DELIVERY_TIMEOUT_MS, 100);
  if (timeoutMs > 10 * 60_000) s.fail('delivery-timeout', 'must be at most 10m');
  const backoffMs = s.duration('retry-backoff', DEFAULT_RETRY_BACKOFF_MS, 10);
  const backoffMaxMs = s.duration('retry-backoff-max', DEFAULT_RETRY_BACKOFF_MAX_MS, 10);
  if (backoffMaxMs < backoffMs) s.fail('retry-backoff-max', 'must be at least --retry-backoff');
  const host = s.get('hostname') ?? hostname();
  const c: NotifyConfig = {
    nats: natsConfigFrom(s, 'notify'),
    outputs: outputs.map((output) => ({ output, filter: filterOf(s, FILTER_PREFIX[output.kind]) })),
    retry: {
      maxAttempts: s.integer('max-attempts', DEFAULT_MAX_ATTEMPTS, 1, 1000),
      backoffMs,
      backoffMaxMs,
      timeoutMs,
    },
    hostname: host,
  };
  const metrics = s.hostPort('metrics-listen');
  if (metrics !== undefined) c.metricsListen = metrics;
  const feed = feedConfig(s, outputs);
  if (feed !== undefined) c.feed = feed;
  return c;
}

const FEED_SETTINGS = ['elasticsearch-changes', 'loki-changes', 'splunk-changes'] as const;

function feedConfig(s: Settings<NotifySetting>, outputs: OutputConfig[]): FeedConfig | undefined {
  const on: FeedOutputName[] = [];
  for (const name of FEED_SETTINGS) {
    const kind = name.slice(0, -'-changes'.length) as FeedOutputName;
    if (!s.onOff(name, false)) continue;
    if (!outputs.some((o) => o.kind === kind)) s.fail(name, `needs --${kind}-url`);
    on.push(kind);
  }
  const esIndex = s.get('elasticsearch-changes-index') ?? DEFAULT_ES_CHANGES_INDEX;
  if (!/^[a-z0-9][a-z0-9._-]{0,254}$/.test(esIndex))
    s.fail('elasticsearch-changes-index', 'is not a valid index name (lower-case letters, digits, . _ -)');
  if (on.length === 0) {
    for (const n of [
      'elasticsearch-changes-index',
      'ledger-address',
      'ledger-ca-file',
      'ledger-cert-file',
      'ledger-key-file',
      'data-dir',
      'changes-batch',
    ] as const)
      if (s.has(n)) s.fail(n, 'is for the changes feed, and no --*-changes output is on');
    return undefined;
  }
  if (s.has('elasticsearch-changes-index') && !on.includes('elasticsearch'))
    s.fail('elasticsearch-changes-index', 'needs --elasticsearch-changes on');
  const ledgerAddress = s.hostPort('ledger-address');
  if (ledgerAddress === undefined) s.fail('ledger-address', 'is required with a --*-changes output');
  const dataDir = s.get('data-dir');
  if (dataDir === undefined || dataDir.trim() === '')
    s.fail('data-dir', 'is required with a --*-changes output (the feed saves its position there)');
  const tls: TlsFiles = {};
  const ca = s.get('ledger-ca-file');
  const cert = s.get('ledger-cert-file');
  const key = s.get('ledger-key-file');
  if ((cert === undefined) !== (key === undefined))
    s.fail(cert === undefined ? 'ledger-key-file' : 'ledger-cert-file', 'needs its pair (cert and key)');
  if (cert !== undefined && ca === undefined) s.fail('ledger-cert-file', 'needs --ledger-ca-file');
  for (const [name, path] of [
    ['ledger-ca-file', ca],
    ['ledger-cert-file', cert],
    ['ledger-key-file', key],
  ] as const)
    if (path !== undefined && !existsSync(path)) s.fail(name, `${path.slice(0, 200)} does not exist`);
  if (ca !== undefined) tls.caFile = ca;
  if (cert !== undefined) tls.certFile = cert;
  if (key !== undefined) tls.keyFile = key;
  return {
    outputs: on,
    ledgerAddress,
    tls,
    dataDir,
    batch: s.integer('changes-batch', DEFAULT_CHANGES_BATCH, 1, 10_000),
    lingerMs: DEFAULT_CHANGES_LINGER_MS,
    esIndex,
  };
}

function readPem(s: Settings<NotifySetting>, name: 'syslog-ca-file'): string {
  // secretFile reads with a size cap and names the flag on failure; a CA is not secret, but the
  // reader is the same.
  const text = s.secretFile(name) ?? '';
  if (!text.includes('-----BEGIN CERTIFICATE-----')) s.fail(name, 'holds no PEM certificate');
  return text;
}

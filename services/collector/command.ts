// `ingress-ledger collector`: one table of settings (flags, INGRESS_LEDGER_* environment variables,
// a YAML --config file, in that order of precedence; packages/runtime/settings.ts), validated into a
// CollectorConfig. Secrets (the webhook token, the NATS password) come only from files.
import type { Command } from 'commander';
import {
  loadSettings,
  NATS_SETTINGS,
  natsConfigFrom,
  type RawSettings,
  readSkeyFile,
  runService,
  type SettingName,
  Settings,
  settingsCommand,
} from '../../packages/runtime/index.js';
import { startCollector } from './collector.js';
import { type CollectorConfig, DEFAULT_MAX_BODY_BYTES, MAX_WORKERS } from './config.js';
import { DEFAULT_MAX_BATCH_ITEMS, DEFAULT_MAX_REJECTED_ITEMS, DEFAULT_WORKERS } from './prepare-pool.js';

export const COLLECTOR_SETTINGS = [
  { name: 'cluster', arg: 'name', help: 'cluster this collector serves (signs as collector/<name>)' },
  { name: 'key', arg: 'file', help: 'collector signer key file (skey)' },
  ...NATS_SETTINGS,
  { name: 'webhook-listen', arg: 'host:port', help: 'audit webhook address (plain HTTP only on loopback)' },
  { name: 'webhook-token-file', arg: 'file', help: 'file holding the bearer token the apiserver sends' },
  { name: 'tls-cert-file', arg: 'file', help: 'webhook TLS certificate (PEM)' },
  { name: 'tls-key-file', arg: 'file', help: 'webhook TLS key (PEM)' },
  { name: 'tls-client-ca-file', arg: 'file', help: 'CA that signs accepted webhook client certificates' },
  { name: 'audit-log-path', arg: 'path', help: 'follow this audit log file (JSON lines)' },
  { name: 'position-file', arg: 'file', help: 'where the audit log read position is saved' },
  {
    name: 'resources',
    arg: 'list',
    help: 'comma-separated <resource>.<group> to record (default: Ingress and Gateway API)',
    multiple: 'comma',
  },
  {
    name: 'max-body-bytes',
    arg: 'n',
    help: `largest webhook body (after gzip; default ${DEFAULT_MAX_BODY_BYTES})`,
  },
  {
    name: 'max-batch-items',
    arg: 'n',
    help: `most events in one webhook body or audit log line (default ${DEFAULT_MAX_BATCH_ITEMS})`,
  },
  {
    name: 'max-rejected-items',
    arg: 'n',
    help: `most malformed events in one webhook body before it is refused with 400 (default ${DEFAULT_MAX_REJECTED_ITEMS})`,
  },
  { name: 'metrics-listen', arg: 'host:port', help: 'serve Prometheus /metrics, /livez and /readyz here' },
  {
    name: 'workers',
    arg: 'n',
    help: `threads that parse and sign webhook batches (default: cores, ${DEFAULT_WORKERS})`,
  },
  {
    name: 'gke-pubsub-audience',
    arg: 'text',
    help: 'accept Pub/Sub push OIDC tokens with this audience on /sources/gke-pubsub',
  },
  {
    name: 'gke-pubsub-oidc-keys-file',
    arg: 'file',
    help: "Google's token signing keys (JWKS or PEM), re-read when it changes; needed with the audience",
  },
  {
    name: 'gke-pubsub-service-account',
    arg: 'email',
    help: 'the push subscription service account; tokens of other accounts are refused',
  },
] as const;

export type CollectorSetting = SettingName<typeof COLLECTOR_SETTINGS>;

/** Builds a CollectorConfig (reading the key and secret files); a bad value names its flag. */
export function collectorConfig(
  from: Settings<CollectorSetting> | RawSettings<CollectorSetting>,
): CollectorConfig {
  const s: Settings<CollectorSetting> = from instanceof Settings ? from : Settings.of(from);
  const cluster = s.require('cluster');
  const keyFile = s.require('key');
  let key: CollectorConfig['key'];
  try {
    key = readSkeyFile(keyFile);
  } catch (err) {
    s.fail('key', `not a readable skey file (${(err as Error).message})`);
  }
  const c: CollectorConfig = {
    cluster,
    key,
    nats: natsConfigFrom(s, `collector/${cluster}`),
    webhookListen: s.hostPort('webhook-listen') ?? s.require('webhook-listen'),
  };
  const token = s.secretFile('webhook-token-file');
  if (token !== undefined) {
    c.webhookToken = token;
    c.webhookTokenFile = s.require('webhook-token-file');
  }
  const cert = s.get('tls-cert-file');
  const tlsKey = s.get('tls-key-file');
  const clientCa = s.get('tls-client-ca-file');
  if (cert === undefined && tlsKey !== undefined) s.fail('tls-key-file', 'needs --tls-cert-file');
  if (cert !== undefined && tlsKey === undefined) s.fail('tls-cert-file', 'needs --tls-key-file');
  if (cert !== undefined && tlsKey !== undefined) {
    c.tls = { certFile: cert, keyFile: tlsKey };
    if (clientCa !== undefined) c.tls.clientCaFile = clientCa;
  } else if (clientCa !== undefined) {
    s.fail('tls-client-ca-file', 'needs --tls-cert-file and --tls-key-file');
  }
  const auditLog = s.get('audit-log-path');
  if (auditLog !== undefined) c.auditLogPath = auditLog;
  const position = s.get('position-file');
  if (position !== undefined) c.positionFile = position;
  const resources = s.list('resources');
  if (resources !== undefined) c.resources = resources;
  if (s.has('max-body-bytes')) c.maxBodyBytes = s.integer('max-body-bytes', 0, 1, Number.MAX_SAFE_INTEGER);
  const metrics = s.hostPort('metrics-listen');
  if (metrics !== undefined) c.metricsListen = metrics;
  if (s.has('workers')) c.workers = s.integer('workers', 0, 1, MAX_WORKERS);
  const audience = s.get('gke-pubsub-audience');
  const oidcKeys = s.get('gke-pubsub-oidc-keys-file');
  const serviceAccount = s.get('gke-pubsub-service-account');
  if (audience !== undefined && oidcKeys === undefined) {
    s.fail('gke-pubsub-oidc-keys-file', 'needed with --gke-pubsub-audience');
  }
  if (audience === undefined && oidcKeys !== undefined) {
    s.fail('gke-pubsub-audience', 'needed with --gke-pubsub-oidc-keys-file');
  }
  if (audience === undefined && serviceAccount !== undefined) {
    s.fail('gke-pubsub-service-account', 'needs --gke-pubsub-audience');
  }
  if (audience !== undefined && oidcKeys !== undefined) {
    c.pubsubOidc = {
      audience,
      keysFile: oidcKeys,
      ...(serviceAccount !== undefined ? { serviceAccount } : {}),
    };
  }
  if (s.has('max-batch-items')) c.maxBatchItems = s.integer('max-batch-items', 0, 1, Number.MAX_SAFE_INTEGER);
  if (s.has('max-rejected-items')) {
    c.maxRejectedItems = s.integer('max-rejected-items', 0, 0, Number.MAX_SAFE_INTEGER);
  }
  return c;
}

/** The CollectorConfig of commander option values (camelCase keys) over `env` and --config. */
export function configFromFlags(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): CollectorConfig {
  return collectorConfig(loadSettings(COLLECTOR_SETTINGS, flags, env));
}

/** The `collector` command. Bad usage or configuration exits 2, naming the flag. */
export function collectorCommand(): Command {
  const cmd = settingsCommand(
    'collector',
    'Receive kube-apiserver audit events (webhook and/or log file) and publish signed changes to JetStream',
    COLLECTOR_SETTINGS,
  );
  cmd.action((flags: Record<string, unknown>) =>
    runService('collector', () => startCollector(configFromFlags(flags, process.env)), {
      started: (r) => process.stderr.write(`collector: webhook at ${r.webhookUrl}\n`),
    }),
  );
  return cmd;
}

// Ledger configuration: flags, then INGRESS_LEDGER_<FLAG> env vars, then a YAML file (--config),
// then defaults (docs/ledger.md). Parsed and validated once; a bad value is LedgerError('CONFIG')
// naming the flag, which the command turns into exit status 2.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { TlsFiles } from '../../packages/rpc/index.js';
import type { NatsConfig, NatsSetting } from '../../packages/runtime/index.js';
import { DEFAULT_DUPLICATE_WINDOW_MS } from '../../packages/runtime/index.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from './checkpointer.js';
import { LedgerError } from './errors.js';
import { DEFAULT_ACK_WAIT_MS, DEFAULT_BATCH_AGE_MS, DEFAULT_BATCH_SIZE } from './ingest.js';
import { DEFAULT_VERIFY_WORKERS } from './verify-pool.js';

/** gRPC listen address when none is configured: loopback only. */
export const DEFAULT_GRPC_LISTEN = '127.0.0.1:7443';
/** NATS URL when none is configured: a local unauthenticated server. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** Prefix of the environment variables: INGRESS_LEDGER_DATA_DIR for --data-dir. */
export const ENV_PREFIX = 'INGRESS_LEDGER_';

export interface LedgerConfig {
  dataDir: string;
  nats: NatsConfig;
  grpcListen: string;
  grpcTls?: TlsFiles;
  /** The log's signer key file (skey); its name must be the origin. */
  keyFile: string;
  /** A file of accepted collector vkeys, one per line (re-read on SIGHUP). */
  collectorKeysFile: string;
  origin: string;
  witnessPolicyFile?: string;
  metricsListen?: string;
  rulesFile?: string;
  /** Maintain the search index (SearchEntries, GetObjectHistory, alerts). */
  search: boolean;
  batchSize: number;
  batchAgeMs: number;
  ackWaitMs: number;
  checkpointIntervalMs: number;
  verifyWorkers: number;
  duplicateWindowMs: number;
}

/** Every setting: its flag (kebab-case), which is also its env var suffix and YAML key. */
export const SETTINGS = [
  ['data-dir', 'directory of the log database (created when missing)'],
  ['nats-url', `NATS server URL(s), comma-separated (default ${DEFAULT_NATS_URL})`],
  ['nats-user', 'NATS user'],
  ['nats-password', 'NATS password'],
  ['nats-nkey-file', 'file holding an NATS nkey seed'],
  ['nats-creds-file', 'NATS .creds file'],
  ['nats-ca-file', 'PEM CA bundle to verify the NATS server (implies TLS)'],
  ['nats-cert-file', 'client certificate for NATS mutual TLS'],
  ['nats-key-file', 'client key for NATS mutual TLS'],
  ['grpc-listen', `gRPC listen address host:port (default ${DEFAULT_GRPC_LISTEN})`],
  ['grpc-cert', 'gRPC TLS certificate (PEM)'],
  ['grpc-key', 'gRPC TLS private key (PEM)'],
  ['grpc-client-ca', 'CA of client certificates: enables mutual TLS'],
  ['key', 'log signer key file (skey named as the origin)'],
  ['collector-keys', 'file of accepted collector vkeys (reloaded on SIGHUP)'],
  ['origin', 'checkpoint origin (default: the key name)'],
  ['witness-policy', 'C2SP tlog-policy file of the witnesses to ask (default: none)'],
  ['metrics-listen', 'serve Prometheus /metrics on host:port'],
  ['rules-file', 'risk rules YAML (docs/risk-rules.md)'],
  ['search', 'keep the search index and risk findings: on or off (default on)'],
  ['batch-size', `most messages per append transaction (default ${DEFAULT_BATCH_SIZE})`],
  ['batch-age', `longest wait to fill a batch, e.g. 50ms (default ${DEFAULT_BATCH_AGE_MS}ms)`],
  ['ack-wait', `JetStream redelivery time for unacked messages (default ${DEFAULT_ACK_WAIT_MS / 1000}s)`],
  [
    'checkpoint-interval',
    `least time between signed checkpoints (default ${DEFAULT_CHECKPOINT_INTERVAL_MS}ms)`,
  ],
  ['verify-workers', `signature verification threads (default: cores, ${DEFAULT_VERIFY_WORKERS})`],
  [
    'duplicate-window',
    `INGRESS_CHANGES duplicate window when created (default ${DEFAULT_DUPLICATE_WINDOW_MS / 1000}s)`,
  ],
] as const;

export type SettingName = (typeof SETTINGS)[number][0];

export type RawSettings = Partial<Record<SettingName, string>>;

/** The flag of each NATS setting, to name it in errors found when its files are read. */
export const NATS_FLAGS: Record<NatsSetting, SettingName> = {
  url: 'nats-url',
  user: 'nats-user',
  password: 'nats-password',
  nkeySeedFile: 'nats-nkey-file',
  credsFile: 'nats-creds-file',
  tlsCaFile: 'nats-ca-file',
  tlsCertFile: 'nats-cert-file',
  tlsKeyFile: 'nats-key-file',
};

const DURATION_RE = /^(0|[1-9][0-9]{0,8})(ms|s|m)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;
const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(0|[1-9][0-9]{0,4})$/;

function bad(flag: string, why: string): never {
  throw new LedgerError('CONFIG', `--${flag}: ${why}`);
}

function duration(flag: string, v: string, min: number): number {
  const m = DURATION_RE.exec(v);
  if (m === null) bad(flag, `"${v}" is not a duration like 250ms, 2s or 1m`);
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS];
  if (ms < min) bad(flag, `must be at least ${min}ms`);
  return ms;
}

function integer(flag: string, v: string, min: number, max: number): number {
  if (!/^[1-9][0-9]{0,8}$/.test(v)) bad(flag, `"${v}" is not a positive integer`);
  const n = Number(v);
  if (n < min || n > max) bad(flag, `must be from ${min} to ${max}`);
  return n;
}

function onOff(flag: string, v: string): boolean {
  if (v !== 'on' && v !== 'off') bad(flag, `"${v}" is not on or off`);
  return v === 'on';
}

function hostPort(flag: string, v: string): string {
  const m = HOST_PORT_RE.exec(v);
  if (m === null || Number(m[2]) > 65535) bad(flag, `"${v}" is not host:port`);
  return v;
}

/** Reads the YAML config file: a mapping of setting names to scalars. */
export function readConfigFile(path: string): RawSettings {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    bad('config', `cannot read ${path}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) bad('config', 'must be a YAML mapping');
  const known = new Set<string>(SETTINGS.map(([n]) => n));
  const out: RawSettings = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!known.has(k)) bad('config', `unknown setting "${k}"`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      bad('config', `setting "${k}" must be a scalar`);
    }
    out[k as SettingName] = String(v);
  }
  return out;
}

/** The settings given by environment variables. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const out: RawSettings = {};
  for (const [name] of SETTINGS) {
    const v = env[ENV_PREFIX + name.toUpperCase().replaceAll('-', '_')];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

/** Validates merged settings into a LedgerConfig. Files are only named here; startLedger reads them. */
export function ledgerConfig(s: RawSettings): LedgerConfig {
  const need = (n: SettingName): string => s[n] ?? bad(n, 'is required');
  const keyFile = need('key');
  const c: LedgerConfig = {
    dataDir: need('data-dir'),
    nats: { url: s['nats-url'] ?? DEFAULT_NATS_URL },
    grpcListen: hostPort('grpc-listen', s['grpc-listen'] ?? DEFAULT_GRPC_LISTEN),
    keyFile,
    collectorKeysFile: need('collector-keys'),
    origin: s.origin ?? '',
    search: onOff('search', s.search ?? 'on'),
    batchSize:
      s['batch-size'] === undefined ? DEFAULT_BATCH_SIZE : integer('batch-size', s['batch-size'], 1, 10_000),
    batchAgeMs:
      s['batch-age'] === undefined ? DEFAULT_BATCH_AGE_MS : duration('batch-age', s['batch-age'], 1),
    ackWaitMs: s['ack-wait'] === undefined ? DEFAULT_ACK_WAIT_MS : duration('ack-wait', s['ack-wait'], 1000),
    checkpointIntervalMs:
      s['checkpoint-interval'] === undefined
        ? DEFAULT_CHECKPOINT_INTERVAL_MS
        : duration('checkpoint-interval', s['checkpoint-interval'], 10),
    verifyWorkers:
      s['verify-workers'] === undefined
        ? DEFAULT_VERIFY_WORKERS
        : integer('verify-workers', s['verify-workers'], 1, 256),
    duplicateWindowMs:
      s['duplicate-window'] === undefined
        ? DEFAULT_DUPLICATE_WINDOW_MS
        : duration('duplicate-window', s['duplicate-window'], 1000),
  };
  const nats = c.nats;
  if (s['nats-user'] !== undefined) nats.user = s['nats-user'];
  if (s['nats-password'] !== undefined) nats.password = s['nats-password'];
  if (s['nats-nkey-file'] !== undefined) nats.nkeySeedFile = s['nats-nkey-file'];
  if (s['nats-creds-file'] !== undefined) nats.credsFile = s['nats-creds-file'];
  if (s['nats-ca-file'] !== undefined) nats.tlsCaFile = s['nats-ca-file'];
  if (s['nats-cert-file'] !== undefined) nats.tlsCertFile = s['nats-cert-file'];
  if (s['nats-key-file'] !== undefined) nats.tlsKeyFile = s['nats-key-file'];
  if ((s['grpc-cert'] === undefined) !== (s['grpc-key'] === undefined)) {
    if (s['grpc-cert'] === undefined) bad('grpc-key', 'needs --grpc-cert');
    bad('grpc-cert', 'needs --grpc-key');
  }
  if (s['grpc-client-ca'] !== undefined && s['grpc-cert'] === undefined) {
    bad('grpc-client-ca', 'needs --grpc-cert and --grpc-key (mutual TLS is TLS first)');
  }
  const tls: TlsFiles = {};
  if (s['grpc-cert'] !== undefined) tls.certFile = s['grpc-cert'];
  if (s['grpc-key'] !== undefined) tls.keyFile = s['grpc-key'];
  if (s['grpc-client-ca'] !== undefined) tls.caFile = s['grpc-client-ca'];
  if (Object.keys(tls).length > 0) c.grpcTls = tls;
  if (s['witness-policy'] !== undefined) c.witnessPolicyFile = s['witness-policy'];
  if (s['metrics-listen'] !== undefined) c.metricsListen = hostPort('metrics-listen', s['metrics-listen']);
  if (s['rules-file'] !== undefined) c.rulesFile = s['rules-file'];
  return c;
}

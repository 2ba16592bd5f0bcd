// Ledger configuration: one table of settings (packages/runtime/settings.ts gives flags,
// INGRESS_LEDGER_* environment variables, a YAML file and the typed readers), validated once into a
// LedgerConfig. A bad value is SettingsError('CONFIG') naming the flag, which the command turns into
// exit status 2. Key, policy and TLS files are only named here; startLedger reads them.

import {
  DEFAULT_FOLLOW_INTERVAL_MS,
  type Location,
  type ObjectLock,
  parseLocation,
  parseObjectLockMode,
  parseRetention,
} from '../../packages/export/index.js';
import {
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_STREAMS_PER_PEER,
  DEFAULT_STREAM_STALL_TIMEOUT_MS,
  type TlsFiles,
  type StreamLimits as WatchStreamLimits,
} from '../../packages/rpc/index.js';
import {
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_STREAM_LIMITS,
  MAX_STREAM_BYTES,
  MIN_STREAM_BYTES,
  NATS_SETTINGS,
  type NatsConfig,
  natsConfigFrom,
  type RawSettings as RawSettingsOf,
  type SettingName,
  Settings,
  type StreamLimits,
} from '../../packages/runtime/index.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_CHECKPOINT_REPUBLISH_INTERVAL_MS } from './checkpointer.js';
import { DEFAULT_ACK_WAIT_MS, DEFAULT_BATCH_AGE_MS, DEFAULT_BATCH_SIZE } from './ingest.js';
import { DEFAULT_CHANGES_KEEP_MS } from './stream-trim.js';
import { DEFAULT_VERIFY_WORKERS } from './verify-pool.js';

/** An absolute http(s) URL without credentials, checked once at start. */
export function httpUrl(text: string, fail: (why: string) => never): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    fail(`"${text.slice(0, 100)}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('must be an http:// or https:// URL');
  if (u.username !== '' || u.password !== '') fail('must not hold credentials');
  return u.toString();
}

/** gRPC listen address when none is configured: loopback only. */
export const DEFAULT_GRPC_LISTEN = '127.0.0.1:7443';
/** How long the witness quorum may stay missed before the ledger reports itself not ready. */
export const DEFAULT_WITNESS_QUORUM_GRACE_MS = 5 * 60_000;

export interface LedgerConfig {
  dataDir: string;
  nats: NatsConfig;
  grpcListen: string;
  grpcTls?: TlsFiles;
  /** The read HTTP listener (static tiles), under the gRPC TLS settings; off when unset. */
  httpListen?: string;
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
  checkpointRepublishIntervalMs: number;
  witnessQuorumGraceMs: number;
  verifyWorkers: number;
  duplicateWindowMs: number;
  /** Replicas of the streams the ledger creates (3 in a JetStream cluster). */
  streamReplicas: number;
  /** How long committed changes stay in INGRESS_CHANGES (services/ledger/stream-trim.ts). */
  changesKeepMs: number;
  /** Limits of the streams the ledger creates (packages/runtime/streams.ts). */
  streamLimits: StreamLimits;
  /** Continuous export of the published log (packages/export), when export-to is set. */
  export?: { to: Location; objectLock?: ObjectLock; intervalMs: number };
  /** The console's base URL, for the link in each alert (docs/alerts.md). */
  consoleUrl?: string;
  /** Bounds on WatchEntries and WatchCheckpoints streams. */
  watchStreams: WatchStreamLimits;
}

/** Every setting of the ledger: its flag (kebab-case), which is also its env var suffix and YAML key. */
export const LEDGER_SETTINGS = [
  { name: 'data-dir', arg: 'dir', help: 'directory of the log database (created when missing)' },
  ...NATS_SETTINGS,
  { name: 'grpc-listen', arg: 'host:port', help: `gRPC listen address (default ${DEFAULT_GRPC_LISTEN})` },
  {
    name: 'http-listen',
    arg: 'host:port',
    help: 'serve the static tlog-tiles read path at /tiles/ on host:port, TLS as gRPC (default: off)',
  },
  { name: 'tls-cert-file', arg: 'file', help: 'gRPC and read HTTP TLS certificate (PEM)' },
  { name: 'tls-key-file', arg: 'file', help: 'gRPC and read HTTP TLS private key (PEM)' },
  { name: 'tls-client-ca-file', arg: 'file', help: 'CA of client certificates: enables mutual TLS' },
  { name: 'key', arg: 'file', help: 'log signer key file (skey named as the origin)' },
  { name: 'collector-keys', arg: 'file', help: 'file of accepted collector vkeys (reloaded on SIGHUP)' },
  { name: 'origin', arg: 'origin', help: 'checkpoint origin (default: the key name)' },
  {
    name: 'witness-policy',
    arg: 'file',
    help: 'C2SP tlog-policy file of the witnesses to ask (default: none)',
  },
  {
    name: 'metrics-listen',
    arg: 'host:port',
    help: 'serve Prometheus /metrics and the /livez and /readyz probes on host:port',
  },
  { name: 'rules-file', arg: 'file', help: 'risk rules YAML (docs/risk-rules.md)' },
  { name: 'search', arg: 'on|off', help: 'keep the search index and risk findings (default on)' },
  {
    name: 'batch-size',
    arg: 'n',
    help: `most messages per append transaction (default ${DEFAULT_BATCH_SIZE})`,
  },
  {
    name: 'batch-age',
    arg: 'duration',
    help: `longest wait to fill a batch, e.g. 50ms (default ${DEFAULT_BATCH_AGE_MS}ms)`,
  },
  {
    name: 'ack-wait',
    arg: 'duration',
    help: `JetStream redelivery time for unacked messages (default ${DEFAULT_ACK_WAIT_MS / 1000}s)`,
  },
  {
    name: 'checkpoint-interval',
    arg: 'duration',
    help: `least time between signed checkpoints (default ${DEFAULT_CHECKPOINT_INTERVAL_MS}ms)`,
  },
  {
    name: 'checkpoint-republish-interval',
    arg: 'duration',
    help: `republish (re-cosign) the checkpoint when none was published this long (default ${DEFAULT_CHECKPOINT_REPUBLISH_INTERVAL_MS / 60_000}m)`,
  },
  {
    name: 'witness-quorum-grace',
    arg: 'duration',
    help: `not ready once the witness quorum was missed this long (default ${DEFAULT_WITNESS_QUORUM_GRACE_MS / 60_000}m)`,
  },
  {
    name: 'verify-workers',
    arg: 'n',
    help: `signature verification threads (default: cores, ${DEFAULT_VERIFY_WORKERS})`,
  },
  {
    name: 'duplicate-window',
    arg: 'duration',
    help: `INGRESS_CHANGES duplicate window when created (default ${DEFAULT_DUPLICATE_WINDOW_MS / 1000}s)`,
  },
  {
    name: 'export-to',
    arg: 'dir|s3-url',
    help: 'export the published log continuously to a directory or s3://BUCKET/PREFIX (default: off)',
  },
  {
    name: 'export-object-lock',
    arg: 'compliance|governance',
    help: 'S3 Object Lock mode on every exported immutable object (needs export-retain)',
  },
  { name: 'export-retain', arg: 'period', help: 'Object Lock retention of exported objects, e.g. 30d or 7y' },
  {
    name: 'export-interval',
    arg: 'duration',
    help: `pause between export steps (default ${DEFAULT_FOLLOW_INTERVAL_MS / 1000}s)`,
  },
  {
    name: 'changes-max-bytes',
    arg: 'bytes',
    help: `INGRESS_CHANGES size limit; publishes are refused when full, nothing is dropped (default ${DEFAULT_STREAM_LIMITS.changesMaxBytes})`,
  },
  {
    name: 'changes-keep',
    arg: 'duration',
    help: `keep committed changes in INGRESS_CHANGES this long for replay after a restore from backup (default ${DEFAULT_CHANGES_KEEP_MS / 3_600_000}h)`,
  },
  {
    name: 'rejected-max-bytes',
    arg: 'bytes',
    help: `INGRESS_REJECTED size limit; the oldest rejections go first (default ${DEFAULT_STREAM_LIMITS.rejectedMaxBytes})`,
  },
  {
    name: 'rejected-max-age',
    arg: 'duration',
    help: `INGRESS_REJECTED age limit (default ${DEFAULT_STREAM_LIMITS.rejectedMaxAgeMs / 3_600_000}h)`,
  },
  {
    name: 'bodies-max-bytes',
    arg: 'bytes',
    help: `INGRESS_BODIES size limit; publishes are refused when full (default ${DEFAULT_STREAM_LIMITS.bodiesMaxBytes})`,
  },
  {
    name: 'watch-streams-max',
    arg: 'n',
    help: `most WatchEntries/WatchCheckpoints streams open at once (default ${DEFAULT_MAX_STREAMS})`,
  },
  {
    name: 'watch-streams-per-client',
    arg: 'n',
    help: `most such streams from one client address (default ${DEFAULT_MAX_STREAMS_PER_PEER})`,
  },
  {
    name: 'watch-stall-timeout',
    arg: 'duration',
    help: `end a stream whose client has not read for this long (default ${DEFAULT_STREAM_STALL_TIMEOUT_MS / 1000}s)`,
  },
  {
    name: 'stream-replicas',
    arg: 'n',
    help: 'replicas of the streams when the ledger creates them: 1, or 3 or 5 in a JetStream cluster (default 1)',
  },
  {
    name: 'console-url',
    arg: 'url',
    help: "the web console's URL: each alert links to its object's page there (default: no link)",
  },
] as const;

export type LedgerSetting = SettingName<typeof LEDGER_SETTINGS>;
/** Ledger settings as text by name, as tests and `up` configure a ledger in code. */
export type RawSettings = RawSettingsOf<LedgerSetting>;

/** A value parsed by packages/export; its error names the flag. */
function exportSetting<T>(s: Settings<LedgerSetting>, name: LedgerSetting, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    return s.fail(name, (err as Error).message.replace(/^--\S+ /, ''));
  }
}

/** Validates settings into a LedgerConfig; `raw` is settings given in code (tests, `up`). */
export function ledgerConfig(from: Settings<LedgerSetting> | RawSettings): LedgerConfig {
  const s: Settings<LedgerSetting> = from instanceof Settings ? from : Settings.of(from);
  const c: LedgerConfig = {
    dataDir: s.require('data-dir'),
    nats: natsConfigFrom(s, 'ledger'),
    grpcListen: s.hostPort('grpc-listen', DEFAULT_GRPC_LISTEN) ?? DEFAULT_GRPC_LISTEN,
    keyFile: s.require('key'),
    collectorKeysFile: s.require('collector-keys'),
    origin: s.get('origin') ?? '',
    search: s.onOff('search', true),
    batchSize: s.integer('batch-size', DEFAULT_BATCH_SIZE, 1, 10_000),
    batchAgeMs: s.duration('batch-age', DEFAULT_BATCH_AGE_MS, 1),
    ackWaitMs: s.duration('ack-wait', DEFAULT_ACK_WAIT_MS, 1000),
    checkpointIntervalMs: s.duration('checkpoint-interval', DEFAULT_CHECKPOINT_INTERVAL_MS, 10),
    checkpointRepublishIntervalMs: s.duration(
      'checkpoint-republish-interval',
      DEFAULT_CHECKPOINT_REPUBLISH_INTERVAL_MS,
      100,
    ),
    witnessQuorumGraceMs: s.duration('witness-quorum-grace', DEFAULT_WITNESS_QUORUM_GRACE_MS, 0),
    verifyWorkers: s.integer('verify-workers', DEFAULT_VERIFY_WORKERS, 1, 256),
    duplicateWindowMs: s.duration('duplicate-window', DEFAULT_DUPLICATE_WINDOW_MS, 1000),
    streamReplicas: s.integer('stream-replicas', 1, 1, 5),
    changesKeepMs: s.duration('changes-keep', DEFAULT_CHANGES_KEEP_MS, 0),
    streamLimits: {
      changesMaxBytes: s.integer(
        'changes-max-bytes',
        DEFAULT_STREAM_LIMITS.changesMaxBytes,
        MIN_STREAM_BYTES,
        MAX_STREAM_BYTES,
      ),
      rejectedMaxBytes: s.integer(
        'rejected-max-bytes',
        DEFAULT_STREAM_LIMITS.rejectedMaxBytes,
        MIN_STREAM_BYTES,
        MAX_STREAM_BYTES,
      ),
      rejectedMaxAgeMs: s.duration('rejected-max-age', DEFAULT_STREAM_LIMITS.rejectedMaxAgeMs, 60_000),
      bodiesMaxBytes: s.integer(
        'bodies-max-bytes',
        DEFAULT_STREAM_LIMITS.bodiesMaxBytes,
        MIN_STREAM_BYTES,
        MAX_STREAM_BYTES,
      ),
    },
    watchStreams: {
      maxStreams: s.integer('watch-streams-max', DEFAULT_MAX_STREAMS, 1, 1_000_000),
      maxStreamsPerPeer: s.integer('watch-streams-per-client', DEFAULT_MAX_STREAMS_PER_PEER, 1, 1_000_000),
      stallTimeoutMs: s.duration('watch-stall-timeout', DEFAULT_STREAM_STALL_TIMEOUT_MS, 100),
    },
  };
  const exportTo = s.get('export-to');
  const lockMode = s.get('export-object-lock');
  const retain = s.get('export-retain');
  if (exportTo === undefined) {
    if (lockMode !== undefined) s.fail('export-object-lock', 'needs --export-to');
    if (retain !== undefined) s.fail('export-retain', 'needs --export-to');
  } else {
    if ((lockMode === undefined) !== (retain === undefined))
      s.fail(
        lockMode === undefined ? 'export-retain' : 'export-object-lock',
        'export-object-lock and export-retain go together',
      );
    const exp: NonNullable<LedgerConfig['export']> = {
      to: exportSetting(s, 'export-to', () => parseLocation(exportTo, '--export-to')),
      intervalMs: s.duration('export-interval', DEFAULT_FOLLOW_INTERVAL_MS, 100),
    };
    if (exp.to.kind === 'http') s.fail('export-to', 'want a directory or s3://BUCKET/PREFIX');
    if (lockMode !== undefined && retain !== undefined) {
      if (exp.to.kind !== 's3') s.fail('export-object-lock', 'Object Lock needs an s3:// export-to');
      exp.objectLock = {
        mode: exportSetting(s, 'export-object-lock', () =>
          parseObjectLockMode(lockMode, '--export-object-lock'),
        ),
        retainUntil: exportSetting(s, 'export-retain', () => parseRetention(retain, '--export-retain'))
          .retainUntil,
      };
    }
    c.export = exp;
  }
  const cert = s.get('tls-cert-file');
  const key = s.get('tls-key-file');
  const ca = s.get('tls-client-ca-file');
  if (cert === undefined && key !== undefined) s.fail('tls-key-file', 'needs --tls-cert-file');
  if (cert !== undefined && key === undefined) s.fail('tls-cert-file', 'needs --tls-key-file');
  if (ca !== undefined && cert === undefined) {
    s.fail('tls-client-ca-file', 'needs --tls-cert-file and --tls-key-file (mutual TLS is TLS first)');
  }
  const tls: TlsFiles = {};
  if (cert !== undefined) tls.certFile = cert;
  if (key !== undefined) tls.keyFile = key;
  if (ca !== undefined) tls.caFile = ca;
  if (Object.keys(tls).length > 0) c.grpcTls = tls;
  const policy = s.get('witness-policy');
  if (policy !== undefined) c.witnessPolicyFile = policy;
  const http = s.hostPort('http-listen');
  if (http !== undefined) c.httpListen = http;
  const metrics = s.hostPort('metrics-listen');
  if (metrics !== undefined) c.metricsListen = metrics;
  const rules = s.get('rules-file');
  if (rules !== undefined) c.rulesFile = rules;
  const consoleUrl = s.get('console-url');
  if (consoleUrl !== undefined) c.consoleUrl = httpUrl(consoleUrl, (why) => s.fail('console-url', why));
  return c;
}

// Ledger configuration: one table of settings (packages/runtime/settings.ts gives flags,
// INGRESS_LEDGER_* environment variables, a YAML file and the typed readers), validated once into a
// LedgerConfig. A bad value is SettingsError('CONFIG') naming the flag, which the command turns into
// exit status 2. Key, policy and TLS files are only named here; startLedger reads them.

import type { TlsFiles } from '../../packages/rpc/index.js';
import {
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_STREAMS_PER_PEER,
  DEFAULT_STREAM_STALL_TIMEOUT_MS,
  type StreamLimits,
} from '../../packages/rpc/index.js';
import {
  DEFAULT_DUPLICATE_WINDOW_MS,
  NATS_SETTINGS,
  type NatsConfig,
  natsConfigFrom,
  type RawSettings as RawSettingsOf,
  type SettingName,
  Settings,
} from '../../packages/runtime/index.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_CHECKPOINT_REPUBLISH_INTERVAL_MS } from './checkpointer.js';
import { DEFAULT_ACK_WAIT_MS, DEFAULT_BATCH_AGE_MS, DEFAULT_BATCH_SIZE } from './ingest.js';
import { DEFAULT_VERIFY_WORKERS } from './verify-pool.js';

/** gRPC listen address when none is configured: loopback only. */
export const DEFAULT_GRPC_LISTEN = '127.0.0.1:7443';
/** How long the witness quorum may stay missed before the ledger reports itself not ready. */
export const DEFAULT_WITNESS_QUORUM_GRACE_MS = 5 * 60_000;

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
  checkpointRepublishIntervalMs: number;
  witnessQuorumGraceMs: number;
  verifyWorkers: number;
  duplicateWindowMs: number;
  /** Replicas of the streams the ledger creates (3 in a JetStream cluster). */
  streamReplicas: number;
  /** Bounds on WatchEntries and WatchCheckpoints streams. */
  watchStreams: StreamLimits;
}

/** Every setting of the ledger: its flag (kebab-case), which is also its env var suffix and YAML key. */
export const LEDGER_SETTINGS = [
  { name: 'data-dir', arg: 'dir', help: 'directory of the log database (created when missing)' },
  ...NATS_SETTINGS,
  { name: 'grpc-listen', arg: 'host:port', help: `gRPC listen address (default ${DEFAULT_GRPC_LISTEN})` },
  { name: 'tls-cert-file', arg: 'file', help: 'gRPC TLS certificate (PEM)' },
  { name: 'tls-key-file', arg: 'file', help: 'gRPC TLS private key (PEM)' },
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
] as const;

export type LedgerSetting = SettingName<typeof LEDGER_SETTINGS>;
/** Ledger settings as text by name, as tests and `up` configure a ledger in code. */
export type RawSettings = RawSettingsOf<LedgerSetting>;

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
    watchStreams: {
      maxStreams: s.integer('watch-streams-max', DEFAULT_MAX_STREAMS, 1, 1_000_000),
      maxStreamsPerPeer: s.integer('watch-streams-per-client', DEFAULT_MAX_STREAMS_PER_PEER, 1, 1_000_000),
      stallTimeoutMs: s.duration('watch-stall-timeout', DEFAULT_STREAM_STALL_TIMEOUT_MS, 100),
    },
  };
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
  const metrics = s.hostPort('metrics-listen');
  if (metrics !== undefined) c.metricsListen = metrics;
  const rules = s.get('rules-file');
  if (rules !== undefined) c.rulesFile = rules;
  return c;
}

// Collector configuration: parsed and validated once at start; a bad value names its flag.
import { isIP } from 'node:net';
import type { NatsConfig } from '../../packages/runtime/index.js';
import type { PrivateKey } from '../../packages/tlog/index.js';
import { CollectorError } from './errors.js';

/**
 * The largest batch the kube-apiserver sends by default: its --audit-webhook-truncate-max-batch-size
 * defaults to 10,485,760 bytes.
 */
export const APISERVER_MAX_BATCH_BYTES = 10 * 1024 * 1024;
/** Largest accepted webhook body (after gzip): the apiserver's largest default batch, with 1 MiB to spare. */
export const DEFAULT_MAX_BODY_BYTES = APISERVER_MAX_BATCH_BYTES + 1024 * 1024;
/** The webhook answers within this long (the kube-apiserver gives up after 30 s and retries). */
export const DEFAULT_PUBLISH_DEADLINE_MS = 25_000;
/** A client must finish sending its headers within this long (slow-loris defence). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A client must finish sending its whole request within this long. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/** How often the audit-log tail looks for new lines, rotation and truncation. */
export const DEFAULT_POLL_INTERVAL_MS = 250;
/** Most --workers (threads preparing webhook bodies). */
export const MAX_WORKERS = 256;
/** Most log lines published as one batch before the position is saved. */
export const DEFAULT_TAIL_BATCH_LINES = 400;

/** What a bearer token may be: printable ASCII without spaces, long enough not to be guessed. */
export const WEBHOOK_TOKEN = /^[\x21-\x7e]{16,4096}$/;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** When set, client certificates signed by this CA authenticate (as an alternative to the token). */
  clientCaFile?: string;
}

export interface CollectorConfig {
  /** The cluster this collector serves: names the key (`collector/<cluster>`) and the NATS subject. */
  cluster: string;
  /** The collector's signer key; its name must be `collector/<cluster>`. */
  key: PrivateKey;
  nats: NatsConfig;
  /** HOST:PORT of the webhook (port 0 picks a free one). */
  webhookListen: string;
  /** The bearer token; when absent and no client CA is set, a random token is generated. */
  webhookToken?: string;
  /** The file webhookToken was read from: followed, so that a rotated token needs no restart. */
  webhookTokenFile?: string;
  /** How often the token and TLS files are read again (default: packages/file-watch's). */
  reloadIntervalMs?: number;
  tls?: TlsFiles;
  /** Follow this kube-apiserver audit log (JSON lines); needs positionFile. */
  auditLogPath?: string;
  positionFile?: string;
  /** `<resource>.<group>` names to record; default DEFAULT_RESOURCES. */
  resources?: readonly string[];
  maxBodyBytes?: number;
  /** HOST:PORT for GET /metrics. */
  metricsListen?: string;
  publishDeadlineMs?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Threads that prepare webhook bodies (parse, classify, sign); default DEFAULT_WORKERS. */
  workers?: number;
  /** Most items in one webhook body or audit log line; default DEFAULT_MAX_BATCH_ITEMS. */
  maxBatchItems?: number;
  /** Most rejected items in one webhook body before it is refused; default DEFAULT_MAX_REJECTED_ITEMS. */
  maxRejectedItems?: number;
  /** Accept Pub/Sub push OIDC tokens on /sources/gke-pubsub. */
  pubsubOidc?: PubsubOidcConfig;
}

export interface PubsubOidcConfig {
  /** The audience configured on the push subscription. */
  audience: string;
  /** Google's signing keys: JWKS, the {kid: PEM} map, or PEM; followed on disk. */
  keysFile: string;
  /** The push subscription's service account; when set, the token's verified email must be it. */
  serviceAccount?: string;
}

/** Cluster names become a NATS subject token and a key-name suffix: no dots, spaces, '+', wildcards. */
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,63}$/;

export function validateCluster(cluster: string): void {
  if (!CLUSTER_NAME.test(cluster)) {
    throw new CollectorError('CONFIG', '--cluster: 1-63 characters of A-Z, a-z, 0-9, "_" and "-"');
  }
}

export interface HostPort {
  host: string;
  port: number;
}

/** Parses HOST:PORT (IPv6 as [::1]:PORT); `flag` names the option in the error. */
export function parseHostPort(text: string, flag: string): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = m === null ? Number.NaN : Number(m[3]);
  if (
    m === null ||
    !Number.isInteger(port) ||
    port > 65535 ||
    ((m[3]?.length ?? 0) > 1 && m[3]?.startsWith('0'))
  ) {
    throw new CollectorError('CONFIG', `${flag}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  }
  const host = m[1] ?? m[2] ?? '';
  if (m[1] !== undefined && isIP(host) !== 6) throw new CollectorError('CONFIG', `${flag}: bad IPv6 address`);
  return { host, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function validateConfig(c: CollectorConfig): void {
  validateCluster(c.cluster);
  if (c.key.name !== `collector/${c.cluster}`) {
    throw new CollectorError('CONFIG', `--key: key is named ${c.key.name}, expected collector/${c.cluster}`);
  }
  const listen = parseHostPort(c.webhookListen, '--webhook-listen');
  if (c.tls === undefined && !isLoopback(listen.host)) {
    throw new CollectorError(
      'CONFIG',
      '--webhook-listen: plain HTTP only on loopback; give --tls-cert-file and --tls-key-file',
    );
  }
  if (c.webhookToken !== undefined && !WEBHOOK_TOKEN.test(c.webhookToken)) {
    throw new CollectorError('CONFIG', '--webhook-token-file: token must be 16-4096 printable characters');
  }
  if ((c.auditLogPath === undefined) !== (c.positionFile === undefined)) {
    throw new CollectorError('CONFIG', '--position-file: needed with --audit-log-path (and only with it)');
  }
  positive(c.maxBodyBytes, '--max-body-bytes');
  positive(c.publishDeadlineMs, 'publishDeadlineMs');
  positive(c.headersTimeoutMs, 'headersTimeoutMs');
  positive(c.requestTimeoutMs, 'requestTimeoutMs');
  positive(c.pollIntervalMs, 'pollIntervalMs');
  positive(c.reloadIntervalMs, 'reloadIntervalMs');
  positive(c.maxBatchItems, '--max-batch-items');
  if (
    c.maxRejectedItems !== undefined &&
    (!Number.isSafeInteger(c.maxRejectedItems) || c.maxRejectedItems < 0)
  ) {
    throw new CollectorError('CONFIG', '--max-rejected-items: must be a non-negative integer');
  }
  if (c.metricsListen !== undefined) parseHostPort(c.metricsListen, '--metrics-listen');
  if (
    c.workers !== undefined &&
    (!Number.isSafeInteger(c.workers) || c.workers < 1 || c.workers > MAX_WORKERS)
  ) {
    throw new CollectorError('CONFIG', `--workers: an integer from 1 to ${MAX_WORKERS}`);
  }
}

function positive(v: number | undefined, flag: string): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) {
    throw new CollectorError('CONFIG', `${flag}: must be a positive integer`);
  }
}

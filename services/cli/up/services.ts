// How `up` starts the witness, ledger and collector: the one place that knows their config shapes.
// Loaded on demand, so the client commands never load NATS, SQLite or HTTP servers.
import { SettingsError } from '../../../packages/runtime/index.js';
import { type PrivateKey, parseVkey } from '../../../packages/tlog/index.js';
import { CliError } from '../errors.js';

export interface Running {
  close(): Promise<void>;
}

export interface WitnessStart {
  dataDir: string;
  listen: string;
  key: PrivateKey;
  logVkeys: string[];
}

export async function startWitnessService(c: WitnessStart): Promise<Running & { url: string }> {
  const { startWitness } = await import('../../witness/index.js');
  const w = await startWitness({
    dataDir: c.dataDir,
    listen: c.listen,
    key: c.key,
    logs: c.logVkeys.map((v) => parseVkey(v)),
  });
  return { url: w.url, close: () => w.close() };
}

export interface LedgerStart {
  dataDir: string;
  origin: string;
  keyFile: string;
  collectorKeysFile: string;
  natsUrl: string;
  /** The nkey seed file the ledger connects to NATS with, and its inbox prefix, if the server needs them. */
  natsNkeyFile?: string;
  natsInboxPrefix?: string;
  grpcListen: string;
  /** HOST:PORT for the ledger's /metrics, /livez and /readyz; none when undefined. */
  metricsListen?: string;
  /** The read HTTP listener (static tiles). */
  httpListen: string;
  policyFile: string;
}

export async function startLedgerService(
  c: LedgerStart,
): Promise<Running & { grpc: string; tiles: string; console: string; metrics: string | undefined }> {
  const { ledgerConfig, startLedger } = await import('../../ledger/index.js');
  const l = await startLedger(
    ledgerConfig({
      'data-dir': c.dataDir,
      'nats-url': c.natsUrl,
      ...(c.natsNkeyFile !== undefined ? { 'nats-nkey-file': c.natsNkeyFile } : {}),
      ...(c.natsInboxPrefix !== undefined ? { 'nats-inbox-prefix': c.natsInboxPrefix } : {}),
      'grpc-listen': c.grpcListen,
      'http-listen': c.httpListen,
      key: c.keyFile,
      'collector-keys': c.collectorKeysFile,
      origin: c.origin,
      'witness-policy': c.policyFile,
      ...(c.metricsListen !== undefined ? { 'metrics-listen': c.metricsListen } : {}),
    }),
  );
  return {
    grpc: l.grpcAddress,
    tiles: l.tilesUrl ?? '',
    metrics: l.metricsAddress === undefined ? undefined : `http://${l.metricsAddress}/metrics`,
    console: l.httpUrl === undefined ? '' : `${l.httpUrl}/`,
    close: () => l.close(),
  };
}

export interface CollectorStart {
  cluster: string;
  key: PrivateKey;
  natsUrl: string;
  /** The nkey seed file the collector connects to NATS with, and its inbox prefix, if the server needs them. */
  natsNkeyFile?: string;
  natsInboxPrefix?: string;
  webhookListen: string;
  webhookToken: string;
  /** The file holding webhookToken, followed so that a rotated token needs no restart. */
  webhookTokenFile?: string;
  tls?: { certFile: string; keyFile: string };
}

export async function startCollectorService(c: CollectorStart): Promise<Running & { webhookUrl: string }> {
  const { startCollector } = await import('../../collector/index.js');
  const col = await startCollector({
    cluster: c.cluster,
    key: c.key,
    nats: {
      url: c.natsUrl,
      ...(c.natsNkeyFile !== undefined ? { nkeySeedFile: c.natsNkeyFile } : {}),
      ...(c.natsInboxPrefix !== undefined ? { inboxPrefix: c.natsInboxPrefix } : {}),
    },
    webhookListen: c.webhookListen,
    webhookToken: c.webhookToken,
    ...(c.webhookTokenFile !== undefined ? { webhookTokenFile: c.webhookTokenFile } : {}),
    ...(c.tls !== undefined ? { tls: c.tls } : {}),
  });
  return { webhookUrl: col.webhookUrl, close: () => col.close() };
}

export interface NotifyStart {
  natsUrl: string;
  natsNkeyFile?: string;
  natsInboxPrefix?: string;
  /** --alerts-webhook and --alerts-webhook-secret of `up`: the notify service's webhook settings. */
  webhook: string;
  webhookSecretFile?: string;
}

export async function startNotifyService(c: NotifyStart): Promise<Running> {
  const { notifyConfig, startNotify } = await import('../../notify/index.js');
  let config: ReturnType<typeof notifyConfig>;
  try {
    config = notifyConfig({
      'nats-url': c.natsUrl,
      ...(c.natsNkeyFile !== undefined ? { 'nats-nkey-file': c.natsNkeyFile } : {}),
      ...(c.natsInboxPrefix !== undefined ? { 'nats-inbox-prefix': c.natsInboxPrefix } : {}),
      'alerts-webhook': c.webhook,
      ...(c.webhookSecretFile !== undefined ? { 'alerts-webhook-secret-file': c.webhookSecretFile } : {}),
    });
  } catch (err) {
    // Named as `up` names it: --alerts-webhook-secret, not the notify service's -file setting.
    if (err instanceof SettingsError)
      throw new CliError(
        'CONFIG',
        err.message.replace('--alerts-webhook-secret-file:', '--alerts-webhook-secret:'),
      );
    throw err;
  }
  const n = await startNotify(config);
  return { close: () => n.close() };
}

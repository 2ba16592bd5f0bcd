// `ingress-ledger up` (DESIGN 6): the whole system on one machine. nats-server (unless --nats-url),
// a witness, a ledger that requires that witness's cosignature, and a collector, with keys kept in
// the data dir so a second run resumes the same log. Stops everything, in reverse, on SIGINT/SIGTERM/SIGHUP.
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { CliError } from '../errors.js';
import { parsePort } from '../flags.js';
import { COLLECTOR_VKEYS_FILE } from '../inputs.js';
import { bold, fields, io, println } from '../output.js';
import {
  ensureDataDir,
  loadOrCreateKeys,
  loadOrCreateToken,
  removeEndpoints,
  writeEndpoints,
  writePolicy,
} from './data-dir.js';
import {
  COLLECTOR_INBOX,
  LEDGER_INBOX,
  loadOrCreateNatsAuth,
  type NatsAuth,
  NOTIFY_INBOX,
  natsServerConfigPath,
} from './nats-auth.js';
import { type NatsChild, startNatsChild } from './nats-child.js';
import {
  type Running,
  startCollectorService,
  startLedgerService,
  startNotifyService,
  startWitnessService,
} from './services.js';

/** Default ports: fixed so that a second terminal knows where to look; 0 picks free ones. */
export const DEFAULT_GRPC_PORT = 7700;
export const DEFAULT_WEBHOOK_PORT = 7701;
export const DEFAULT_WITNESS_PORT = 7702;
export const DEFAULT_NATS_PORT = 7703;
export const DEFAULT_HTTP_PORT = 7704;
/** The cluster name of the local collector. */
export const DEFAULT_CLUSTER = 'local';
/** The witness's name in the local policy. */
const WITNESS_LABEL = 'local-witness';

interface UpOptions {
  dataDir: string;
  grpcPort: number;
  httpPort: number;
  webhookPort: number;
  witnessPort: number;
  natsPort: number;
  metricsPort?: number;
  natsUrl?: string;
  origin?: string;
  cluster: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  alertsWebhook?: string;
  alertsWebhookSecret?: string;
}

export function upCommand(): Command {
  return new Command('up')
    .description('run the whole system on this machine: nats-server, witness, ledger and collector')
    .option('--data-dir <dir>', 'where keys, the log and the witness state live', './.ingress-ledger')
    .option('--grpc-port <port>', 'ledger gRPC port (0 = free port)', parsePort, DEFAULT_GRPC_PORT)
    .option(
      '--http-port <port>',
      'ledger read HTTP port: web console and static tiles (0 = free port)',
      parsePort,
      DEFAULT_HTTP_PORT,
    )
    .option('--webhook-port <port>', 'audit webhook port (0 = free port)', parsePort, DEFAULT_WEBHOOK_PORT)
    .option('--witness-port <port>', 'witness port (0 = free port)', parsePort, DEFAULT_WITNESS_PORT)
    .option('--nats-port <port>', 'nats-server port (0 = free port)', parsePort, DEFAULT_NATS_PORT)
    .option('--nats-url <url>', 'use this NATS server instead of starting one')
    .option(
      '--metrics-port <port>',
      "serve the ledger's /metrics, /livez and /readyz here (0 = free port)",
      parsePort,
    )
    .option('--origin <origin>', "the log's origin (default ingress-ledger.local/<hostname>)")
    .option('--cluster <name>', 'the cluster name of the local collector', DEFAULT_CLUSTER)
    .option('--tls-cert-file <file>', 'serve the webhook over TLS with this certificate (PEM)')
    .option('--tls-key-file <file>', "the webhook certificate's key (PEM)")
    .option('--alerts-webhook <url>', 'POST each risk alert as JSON to this URL (DESIGN 13, docs/alerts.md)')
    .option(
      '--alerts-webhook-secret <file>',
      'file holding the key of the X-Ingress-Ledger-Signature HMAC (needs --alerts-webhook)',
    )
    .action((o: UpOptions) => up(o));
}

async function up(o: UpOptions): Promise<void> {
  if (o.alertsWebhookSecret !== undefined && o.alertsWebhook === undefined)
    throw new CliError('CONFIG', '--alerts-webhook-secret: needs --alerts-webhook');
  if ((o.tlsCertFile === undefined) !== (o.tlsKeyFile === undefined)) {
    throw new CliError('USAGE', '--tls-cert-file and --tls-key-file go together');
  }
  const dir = resolve(o.dataDir);
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '-') || 'localhost';
  ensureDataDir(dir);
  // One `up` per data dir, and no ledger in it meanwhile; held until this process ends.
  const { DataDirLockError, lockDataDir } = await import('../../../packages/runtime/index.js');
  try {
    lockDataDir(dir, 'up');
  } catch (err) {
    throw err instanceof DataDirLockError ? new CliError('CONFIG', err.message) : err;
  }
  removeEndpoints(dir);
  const keys = loadOrCreateKeys(
    dir,
    o.origin ?? `ingress-ledger.local/${host}`,
    `witness.local/${host}`,
    o.cluster,
    o.origin !== undefined,
  );
  // The log key's name is the origin: on later runs it is the one the data dir already holds.
  const origin = keys.log.name;
  const token = loadOrCreateToken(dir);

  const running: Running[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      removeEndpoints(dir);
      for (const r of running.reverse()) await r.close().catch(() => {});
    })();
    return stopping;
  };
  const stopped = new Promise<string>((res) => {
    process.once('SIGINT', () => res('SIGINT'));
    process.once('SIGTERM', () => res('SIGTERM'));
    // A closed terminal: `up` runs in the foreground, so a hang-up stops it like Ctrl-C would
    // (children stopped, endpoints removed) instead of Node's default of dying on the spot.
    process.once('SIGHUP', () => res('SIGHUP'));
  });

  try {
    let natsUrl = o.natsUrl;
    // An external server's credentials are its operator's business; our own server lets only
    // the users it made in: the ledger's, this cluster's collector's, and a reader's for tools.
    let auth: NatsAuth | undefined;
    if (natsUrl === undefined) {
      auth = loadOrCreateNatsAuth(dir, o.cluster);
      const nats: NatsChild = await startNatsChild(
        join(dir, 'nats'),
        natsServerConfigPath(dir),
        o.natsPort,
        [auth.ledger, auth.collector, auth.notify, auth.reader],
        (line) => io.err(`nats-server: ${line}\n`),
      );
      running.push({ close: () => nats.stop() });
      natsUrl = nats.url;
    }
    const witness = await startWitnessService({
      dataDir: join(dir, 'witness'),
      listen: `127.0.0.1:${o.witnessPort}`,
      key: keys.witness,
      logVkeys: [keys.log.vkey],
    });
    running.push(witness);
    const policy = writePolicy(dir, keys.log.vkey, WITNESS_LABEL, keys.witnessVkey, witness.url);
    // Beside the policy, where `verify` and `audit` look for collector keys when given none.
    writeFileSync(join(dir, COLLECTOR_VKEYS_FILE), `${keys.collector.vkey}\n`);
    const ledger = await startLedgerService({
      dataDir: join(dir, 'ledger'),
      origin,
      keyFile: join(dir, 'keys', 'log.key'),
      collectorKeysFile: join(dir, 'keys', 'collector.vkey'),
      natsUrl,
      ...(auth !== undefined ? { natsNkeyFile: auth.ledger.seedFile, natsInboxPrefix: LEDGER_INBOX } : {}),
      grpcListen: `127.0.0.1:${o.grpcPort}`,
      ...(o.metricsPort !== undefined ? { metricsListen: `127.0.0.1:${o.metricsPort}` } : {}),
      httpListen: `127.0.0.1:${o.httpPort}`,
      policyFile: policy.path,
    });
    running.push(ledger);
    const collector = await startCollectorService({
      cluster: o.cluster,
      key: keys.collector,
      natsUrl,
      ...(auth !== undefined
        ? { natsNkeyFile: auth.collector.seedFile, natsInboxPrefix: COLLECTOR_INBOX }
        : {}),
      webhookListen: `127.0.0.1:${o.webhookPort}`,
      webhookToken: token,
      webhookTokenFile: join(dir, 'webhook-token'),
      ...(o.tlsCertFile !== undefined && o.tlsKeyFile !== undefined
        ? { tls: { certFile: o.tlsCertFile, keyFile: o.tlsKeyFile } }
        : {}),
    });
    running.push(collector);
    if (o.alertsWebhook !== undefined) {
      const notify = await startNotifyService({
        natsUrl,
        ...(auth !== undefined ? { natsNkeyFile: auth.notify.seedFile, natsInboxPrefix: NOTIFY_INBOX } : {}),
        webhook: o.alertsWebhook,
        ...(o.alertsWebhookSecret !== undefined ? { webhookSecretFile: o.alertsWebhookSecret } : {}),
      });
      running.push(notify);
    }

    writeEndpoints(dir, {
      grpc: ledger.grpc,
      tiles: ledger.tiles,
      console: ledger.console,
      webhook: collector.webhookUrl,
      webhookToken: token,
      witness: witness.url,
      nats: natsUrl,
      ...(ledger.metrics !== undefined ? { metrics: ledger.metrics } : {}),
      ...(auth !== undefined ? { natsReaderNkeyFile: auth.reader.seedFile } : {}),
      origin,
      logVkey: keys.log.vkey,
      witnessVkeys: [keys.witnessVkey],
      collectorVkeys: [keys.collector.vkey],
      policy: policy.path,
      dataDir: dir,
      pid: process.pid,
    });
    println(bold(`ingress-ledger is up: ${origin}`));
    println(
      fields([
        ['gRPC', ledger.grpc],
        ['console', ledger.console],
        ['tiles', ledger.tiles],
        ['webhook', `${collector.webhookUrl} (bearer token in ${join(dir, 'webhook-token')})`],
        ['witness', witness.url],
        ['NATS', auth === undefined ? natsUrl : `${natsUrl} (read-only nkey in ${auth.reader.seedFile})`],
        ...(ledger.metrics !== undefined ? [['metrics', ledger.metrics] as [string, string]] : []),
        ...(o.alertsWebhook !== undefined
          ? [['alerts', `${o.alertsWebhook} (notify service)`] as [string, string]]
          : []),
        ['policy', policy.path],
        ['endpoints', join(dir, 'endpoints.json')],
        [
          'try',
          `ingress-ledger audit --grpc ${ledger.grpc} --policy ${policy.path} --state ${join(dir, 'audit.state')}`,
        ],
      ]),
    );
  } catch (err) {
    await stopAll();
    throw err;
  }
  const signal = await stopped;
  io.err(`${signal}: stopping collector, ledger, witness${o.natsUrl === undefined ? ', nats-server' : ''}\n`);
  await stopAll();
}

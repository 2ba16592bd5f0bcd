// `ingress-ledger collector`: flags, INGRESS_LEDGER_<FLAG> environment variables and an optional
// --config file (YAML or JSON, keys are flag names), in that order of precedence.
import { readFileSync } from 'node:fs';
import { Command, type CommanderError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { isObject } from '../../packages/change/index.js';
import { type NatsSetting, natsSettingsProblem, readSkeyFile } from '../../packages/runtime/index.js';
import { type RunningCollector, startCollector } from './collector.js';
import { type CollectorConfig, MAX_WORKERS } from './config.js';
import { CollectorError } from './errors.js';
import { DEFAULT_WORKERS } from './prepare-pool.js';

interface FlagSpec {
  flag: string;
  arg?: string;
  help: string;
}

const FLAGS: FlagSpec[] = [
  { flag: 'cluster', arg: 'name', help: 'cluster this collector serves (signs as collector/<name>)' },
  { flag: 'key', arg: 'file', help: 'collector signer key file (skey)' },
  { flag: 'nats-url', arg: 'url', help: 'NATS server URL(s), comma-separated' },
  { flag: 'nats-user', arg: 'user', help: 'NATS user' },
  { flag: 'nats-password-file', arg: 'file', help: 'file holding the NATS password' },
  { flag: 'nats-creds', arg: 'file', help: 'NATS .creds file' },
  { flag: 'nats-nkey', arg: 'file', help: 'file holding an nkey seed' },
  { flag: 'nats-ca', arg: 'file', help: 'PEM CA bundle for NATS TLS' },
  { flag: 'nats-cert', arg: 'file', help: 'client certificate for NATS mTLS' },
  { flag: 'nats-key', arg: 'file', help: 'client key for NATS mTLS' },
  { flag: 'webhook-listen', arg: 'host:port', help: 'audit webhook address (plain HTTP only on loopback)' },
  { flag: 'webhook-token-file', arg: 'file', help: 'file holding the bearer token the apiserver sends' },
  { flag: 'tls-cert', arg: 'file', help: 'webhook TLS certificate (PEM)' },
  { flag: 'tls-key', arg: 'file', help: 'webhook TLS key (PEM)' },
  { flag: 'client-ca', arg: 'file', help: 'CA that signs accepted webhook client certificates' },
  { flag: 'audit-log-path', arg: 'path', help: 'follow this audit log file (JSON lines)' },
  { flag: 'position-file', arg: 'file', help: 'where the audit log read position is saved' },
  {
    flag: 'resources',
    arg: 'list',
    help: 'comma-separated <resource>.<group> to record (default: Ingress and Gateway API)',
  },
  { flag: 'max-body-bytes', arg: 'n', help: 'largest webhook body (after gzip)' },
  { flag: 'metrics-listen', arg: 'host:port', help: 'serve Prometheus /metrics here' },
  {
    flag: 'workers',
    arg: 'n',
    help: `threads that parse and sign webhook batches (default: cores, ${DEFAULT_WORKERS})`,
  },
  { flag: 'config', arg: 'file', help: 'YAML or JSON file of these flags (flags and env win)' },
];

const envName = (flag: string) => `INGRESS_LEDGER_${flag.toUpperCase().replaceAll('-', '_')}`;
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type Values = Record<string, string | undefined>;

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new CollectorError(
      'CONFIG',
      `--${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`,
    );
  }
}

function mergeConfigFile(cmd: Command, v: Values): void {
  if (v.config === undefined) return;
  let doc: unknown;
  try {
    doc = parseYaml(readText(v.config, 'config'));
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError('CONFIG', `--config: not YAML or JSON`);
  }
  if (!isObject(doc)) throw new CollectorError('CONFIG', '--config: must be a mapping of flag names');
  for (const [k, val] of Object.entries(doc)) {
    const spec = FLAGS.find((f) => f.flag === k);
    if (spec === undefined || k === 'config')
      throw new CollectorError('CONFIG', `--config: unknown key ${k}`);
    const text = Array.isArray(val) ? val.join(',') : typeof val === 'object' ? undefined : String(val);
    if (text === undefined) throw new CollectorError('CONFIG', `--config: ${k} must be a value`);
    if (v[camel(k)] === undefined || cmd.getOptionValueSource(camel(k)) === 'default') v[camel(k)] = text;
  }
}

function need(v: Values, flag: string): string {
  const value = v[camel(flag)];
  if (value === undefined || value === '') throw new CollectorError('CONFIG', `--${flag} is required`);
  return value;
}

/** Builds a CollectorConfig from flag values; throws CollectorError('CONFIG') naming the flag. */
export function configFromFlags(v: Values): CollectorConfig {
  const cluster = need(v, 'cluster');
  let key: CollectorConfig['key'];
  try {
    key = readSkeyFile(need(v, 'key'));
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError('CONFIG', `--key: not a readable skey file (${(err as Error).message})`);
  }
  const c: CollectorConfig = {
    cluster,
    key,
    nats: { url: need(v, 'nats-url'), name: `collector/${cluster}` },
    webhookListen: need(v, 'webhook-listen'),
  };
  if (v.natsUser !== undefined) c.nats.user = v.natsUser;
  if (v.natsPasswordFile !== undefined) c.nats.password = readText(v.natsPasswordFile, 'nats-password-file');
  if (v.natsCreds !== undefined) c.nats.credsFile = v.natsCreds;
  if (v.natsNkey !== undefined) c.nats.nkeySeedFile = v.natsNkey;
  if (v.natsCa !== undefined) c.nats.tlsCaFile = v.natsCa;
  if (v.natsCert !== undefined) c.nats.tlsCertFile = v.natsCert;
  if (v.natsKey !== undefined) c.nats.tlsKeyFile = v.natsKey;
  if (v.webhookTokenFile !== undefined) c.webhookToken = readText(v.webhookTokenFile, 'webhook-token-file');
  if ((v.tlsCert === undefined) !== (v.tlsKey === undefined)) {
    throw new CollectorError('CONFIG', '--tls-cert and --tls-key go together');
  }
  if (v.tlsCert !== undefined && v.tlsKey !== undefined) {
    c.tls = { certFile: v.tlsCert, keyFile: v.tlsKey };
    if (v.clientCa !== undefined) c.tls.clientCaFile = v.clientCa;
  } else if (v.clientCa !== undefined) {
    throw new CollectorError('CONFIG', '--client-ca needs --tls-cert and --tls-key');
  }
  if (v.auditLogPath !== undefined) c.auditLogPath = v.auditLogPath;
  if (v.positionFile !== undefined) c.positionFile = v.positionFile;
  if (v.resources !== undefined)
    c.resources = v.resources
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  if (v.maxBodyBytes !== undefined) {
    if (!/^[1-9]\d{0,14}$/.test(v.maxBodyBytes))
      throw new CollectorError('CONFIG', '--max-body-bytes: a positive integer');
    c.maxBodyBytes = Number(v.maxBodyBytes);
  }
  if (v.metricsListen !== undefined) c.metricsListen = v.metricsListen;
  if (v.workers !== undefined) {
    if (!/^[1-9]\d{0,2}$/.test(v.workers) || Number(v.workers) > MAX_WORKERS)
      throw new CollectorError('CONFIG', `--workers: an integer from 1 to ${MAX_WORKERS}`);
    c.workers = Number(v.workers);
  }
  // Credential and TLS files are read and checked now, so a bad one names its flag and exits 2
  // instead of failing inside the NATS client.
  const natsProblem = natsSettingsProblem(c.nats, NATS_FLAGS);
  if (natsProblem !== undefined) throw new CollectorError('CONFIG', natsProblem);
  return c;
}

/** The flag of each NATS setting, to name it when its files are checked. */
const NATS_FLAGS: Record<NatsSetting, string> = {
  url: 'nats-url',
  user: 'nats-user',
  password: 'nats-password-file',
  nkeySeedFile: 'nats-nkey',
  credsFile: 'nats-creds',
  tlsCaFile: 'nats-ca',
  tlsCertFile: 'nats-cert',
  tlsKeyFile: 'nats-key',
};

/** Runs until SIGINT or SIGTERM, then closes cleanly. */
async function runUntilSignalled(running: RunningCollector): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
}

/** The `collector` command (commander v14). Bad usage or configuration exits 2, naming the flag. */
export function collectorCommand(): Command {
  const cmd = new Command('collector').description(
    'Receive kube-apiserver audit events (webhook and/or log file) and publish signed changes to JetStream',
  );
  for (const f of FLAGS) cmd.addOption(new Option(`--${f.flag} <${f.arg}>`, f.help).env(envName(f.flag)));
  cmd.exitOverride((err: CommanderError) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(2);
  });
  cmd.action(async (opts: Values) => {
    let running: RunningCollector;
    try {
      mergeConfigFile(cmd, opts);
      running = await startCollector(configFromFlags(opts));
    } catch (err) {
      const config = err instanceof CollectorError && err.code === 'CONFIG';
      process.stderr.write(`ingress-ledger collector: ${(err as Error).message}\n`);
      process.exit(config ? 2 : 1);
    }
    process.stderr.write(`collector: webhook at ${running.webhookUrl}\n`);
    await runUntilSignalled(running);
  });
  return cmd;
}

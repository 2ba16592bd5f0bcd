// `ingress-ledger witness`: DESIGN 6. Settings come from flags, INGRESS_LEDGER_* environment
// variables and a YAML --config file like every service's (packages/runtime/settings.ts). Bad usage
// or configuration exits 2 with a message naming the flag.
import type { Command } from 'commander';
import {
  loadSettings,
  parseVkeyList,
  type RawSettings,
  readSkeyFile,
  readVkeysFile,
  runService,
  type SettingName,
  Settings,
  settingsCommand,
} from '../../packages/runtime/index.js';
import type { PublicKey } from '../../packages/tlog/index.js';
import { startWitness, type WitnessConfig } from './service.js';

export const WITNESS_SETTINGS = [
  { name: 'data-dir', arg: 'dir', help: 'state directory (created when missing)' },
  { name: 'listen', arg: 'host:port', help: 'serve add-checkpoint here' },
  { name: 'key', arg: 'file', help: 'witness signer key file (Ed25519 skey)' },
  { name: 'log', arg: 'vkey', help: 'vkey of a log to witness (repeatable)', multiple: 'repeat' },
  { name: 'logs-file', arg: 'file', help: 'file of log vkeys, one per line' },
  { name: 'metrics-listen', arg: 'host:port', help: 'serve Prometheus /metrics, /livez and /readyz here' },
  { name: 'prefix', arg: 'path', help: 'URL path prefix of the endpoints (default none)' },
] as const;

export type WitnessSetting = SettingName<typeof WITNESS_SETTINGS>;

/** Builds a WitnessConfig (reads the key and logs files); a bad value names its flag. */
export function witnessConfig(from: Settings<WitnessSetting> | RawSettings<WitnessSetting>): WitnessConfig {
  const s: Settings<WitnessSetting> = from instanceof Settings ? from : Settings.of(from);
  const dataDir = s.require('data-dir');
  const listen = s.hostPort('listen') ?? s.require('listen');
  let key: WitnessConfig['key'];
  try {
    key = readSkeyFile(s.require('key'));
  } catch (err) {
    s.fail('key', `not a readable skey file (${(err as Error).message})`);
  }
  const logs: PublicKey[] = [];
  for (const text of s.list('log') ?? []) {
    try {
      logs.push(...parseVkeyList(text, '--log'));
    } catch (err) {
      s.fail('log', (err as Error).message);
    }
  }
  const logsFile = s.get('logs-file');
  if (logsFile !== undefined) {
    try {
      logs.push(...readVkeysFile(logsFile));
    } catch (err) {
      s.fail('logs-file', (err as Error).message);
    }
  }
  const c: WitnessConfig = { dataDir, listen, key, logs };
  const metrics = s.hostPort('metrics-listen');
  if (metrics !== undefined) c.metricsListen = metrics;
  const prefix = s.get('prefix');
  if (prefix !== undefined) c.prefix = prefix;
  return c;
}

/** The WitnessConfig of commander option values (camelCase keys) over `env` and --config. */
export function configFromFlags(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): WitnessConfig {
  return witnessConfig(loadSettings(WITNESS_SETTINGS, flags, env));
}

export function witnessCommand(): Command {
  const cmd = settingsCommand(
    'witness',
    'Run a C2SP tlog-witness: cosign checkpoints of trusted logs that only ever grow',
    WITNESS_SETTINGS,
  );
  cmd.action((flags: Record<string, unknown>) =>
    runService('witness', () => startWitness(configFromFlags(flags, process.env)), {
      started: (r) => process.stdout.write(`witness ${r.name} at ${r.url}\nvkey ${r.vkey}\n`),
    }),
  );
  return cmd;
}

// `ingress-ledger witness`: DESIGN 6. Bad usage or configuration exits 2 with a message naming the flag.
import { Command, type CommanderError, Option } from 'commander';
import { parseVkeyList, readSkeyFile, readVkeysFile } from '../../packages/runtime/index.js';
import type { PublicKey } from '../../packages/tlog/index.js';
import { WitnessError } from './errors.js';
import { type RunningWitness, startWitness, type WitnessConfig } from './service.js';

interface Flags {
  dataDir?: string;
  listen?: string;
  key?: string;
  log?: string[];
  logsFile?: string;
  metricsListen?: string;
  prefix?: string;
}

function need(v: string | undefined, flag: string): string {
  if (v === undefined || v === '') throw new WitnessError('CONFIG', `--${flag} is required`);
  return v;
}

/** Builds a WitnessConfig from flags (reads the key and logs files); throws CONFIG naming the flag. */
export function configFromFlags(f: Flags): WitnessConfig {
  const dataDir = need(f.dataDir, 'data-dir');
  const listen = need(f.listen, 'listen');
  let key: WitnessConfig['key'];
  try {
    key = readSkeyFile(need(f.key, 'key'));
  } catch (err) {
    if (err instanceof WitnessError) throw err;
    throw new WitnessError('CONFIG', `--key: not a readable skey file (${(err as Error).message})`);
  }
  const logs: PublicKey[] = [];
  for (const text of f.log ?? []) {
    try {
      logs.push(...parseVkeyList(text, '--log'));
    } catch (err) {
      throw new WitnessError('CONFIG', `--log: ${(err as Error).message}`);
    }
  }
  if (f.logsFile !== undefined) {
    try {
      logs.push(...readVkeysFile(f.logsFile));
    } catch (err) {
      throw new WitnessError('CONFIG', `--logs-file: ${(err as Error).message}`);
    }
  }
  const c: WitnessConfig = { dataDir, listen, key, logs };
  if (f.metricsListen !== undefined) c.metricsListen = f.metricsListen;
  if (f.prefix !== undefined) c.prefix = f.prefix;
  return c;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function witnessCommand(): Command {
  const cmd = new Command('witness')
    .description('Run a C2SP tlog-witness: cosign checkpoints of trusted logs that only ever grow')
    .addOption(new Option('--data-dir <dir>', 'state directory (created when missing)'))
    .addOption(new Option('--listen <host:port>', 'serve add-checkpoint here'))
    .addOption(new Option('--key <file>', 'witness signer key file (Ed25519 skey)'))
    .addOption(new Option('--log <vkey>', 'vkey of a log to witness (repeatable)').argParser(collect))
    .addOption(new Option('--logs-file <file>', 'file of log vkeys, one per line'))
    .addOption(new Option('--metrics-listen <host:port>', 'serve Prometheus /metrics here'))
    .addOption(new Option('--prefix <path>', 'URL path prefix of the endpoints (default none)'));
  cmd.exitOverride((err: CommanderError) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(2);
  });
  cmd.action(async (flags: Flags) => {
    let running: RunningWitness;
    try {
      running = await startWitness(configFromFlags(flags));
    } catch (err) {
      const config = err instanceof WitnessError && err.code === 'CONFIG';
      process.stderr.write(`ingress-ledger witness: ${(err as Error).message}\n`);
      process.exit(config ? 2 : 1);
    }
    process.stdout.write(`witness ${running.name} at ${running.url}\nvkey ${running.vkey}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await running.close();
  });
  return cmd;
}

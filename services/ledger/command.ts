// `ingress-ledger ledger`: runs the ledger service (docs/ledger.md). Bad usage or configuration
// exits 2 with a message naming the flag; SIGINT/SIGTERM stop it gracefully, SIGHUP reloads the
// collector keys.
import { Command, type CommanderError, Option } from 'commander';
import {
  type LedgerConfig,
  ledgerConfig,
  type RawSettings,
  readConfigFile,
  SETTINGS,
  settingsFromEnv,
} from './config.js';
import { LedgerError } from './errors.js';
import { type RunningLedger, startLedger } from './ledger.js';

/** Merges flags over env vars over the config file. */
export function configFromSources(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): LedgerConfig {
  const fromFlags: RawSettings = {};
  for (const [name] of SETTINGS) {
    const camel = name.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
    const v = flags[camel];
    if (typeof v === 'string') fromFlags[name] = v;
  }
  const fromEnv = settingsFromEnv(env);
  const configPath = typeof flags.config === 'string' ? flags.config : env[`INGRESS_LEDGER_CONFIG`];
  const fromFile = configPath !== undefined && configPath !== '' ? readConfigFile(configPath) : {};
  return ledgerConfig({ ...fromFile, ...fromEnv, ...fromFlags });
}

export function ledgerCommand(): Command {
  const cmd = new Command('ledger').description(
    'Run the ledger: ingest signed changes from JetStream into the Merkle log, sign checkpoints, serve gRPC',
  );
  for (const [name, help] of SETTINGS) cmd.addOption(new Option(`--${name} <value>`, help));
  cmd.addOption(new Option('--config <file>', 'YAML file of settings (keys are the flag names)'));
  cmd.exitOverride((err: CommanderError) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
    process.exit(2);
  });
  cmd.action(async (flags: Record<string, unknown>) => {
    let running: RunningLedger | undefined;
    let reloadAsked = false;
    const reload = (r: RunningLedger) => {
      try {
        r.reloadCollectorKeys();
      } catch {
        // Logged by the ledger; the previous keys stay and the ledger runs on.
      }
    };
    // SIGHUP's default action ends the process, so it is taken over before the (slow) start; a
    // reload asked for meanwhile is done once the ledger runs, as the file may have changed
    // after the start read it.
    process.on('SIGHUP', () => {
      if (running === undefined) reloadAsked = true;
      else reload(running);
    });
    try {
      running = await startLedger(configFromSources(flags, process.env));
    } catch (err) {
      const config = err instanceof LedgerError && err.code === 'CONFIG';
      process.stderr.write(`ingress-ledger ledger: ${(err as Error).message}\n`);
      process.exit(config ? 2 : 1);
    }
    const r = running;
    if (reloadAsked) reload(r);
    const stop = () => {
      r.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return cmd;
}

// `ingress-ledger ledger`: runs the ledger service (docs/ledger.md). Bad usage or configuration
// exits 2 with a message naming the flag; SIGINT/SIGTERM stop it gracefully, SIGHUP reloads the
// collector keys.
import type { Command } from 'commander';
import { loadSettings, runService, settingsCommand } from '../../packages/runtime/index.js';
import { LEDGER_SETTINGS, type LedgerConfig, ledgerConfig } from './config.js';
import { startLedger } from './ledger.js';

/** Merges flags over env vars over the config file. */
export function configFromSources(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): LedgerConfig {
  return ledgerConfig(loadSettings(LEDGER_SETTINGS, flags, env));
}

export function ledgerCommand(): Command {
  const cmd = settingsCommand(
    'ledger',
    'Run the ledger: ingest signed changes from JetStream into the Merkle log, sign checkpoints, serve gRPC',
    LEDGER_SETTINGS,
  );
  cmd.action((flags: Record<string, unknown>) =>
    runService('ledger', () => startLedger(configFromSources(flags, process.env)), {
      reload: (r) => {
        try {
          r.reloadCollectorKeys();
        } catch {
          // Logged by the ledger; the previous keys stay and the ledger runs on.
        }
      },
    }),
  );
  return cmd;
}

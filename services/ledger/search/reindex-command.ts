// `ingress-ledger reindex --data-dir DIR`: rebuilds the search index from the log. The CLI
// registers this command; the ledger must not be writing to the database meanwhile, which the data
// dir lock enforces (a running ledger makes this exit 2, naming it).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { LEDGER_DB_FILE, lockDataDir } from '../../../packages/runtime/index.js';
import { reindex } from './reindex.js';

/** Thrown by the command; the CLI turns any thrown error into exit status 2 with its message. */
export class ReindexError extends Error {
  override readonly name = 'ReindexError';
  constructor(
    readonly code: 'NO_DATABASE' | 'FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** The ledger's database file inside its data dir. */

export function reindexCommand(): Command {
  return new Command('reindex')
    .description('rebuild the search index and risk findings from the log (stop the ledger first)')
    .requiredOption('--data-dir <dir>', 'the ledger data directory')
    .option('--db <file>', `the ledger database (default <data-dir>/${LEDGER_DB_FILE})`)
    .addOption(new Option('--rules-file <file>', 'risk rules YAML (docs/risk-rules.md), as the ledger uses'))
    .action((opts: { dataDir: string; db?: string; rulesFile?: string }) => {
      const file = opts.db ?? join(opts.dataDir, LEDGER_DB_FILE);
      if (!existsSync(file))
        throw new ReindexError('NO_DATABASE', `--data-dir: no ledger database at ${file}`);
      const lock = lockDataDir(opts.dataDir, 'reindex');
      const db = new Database(file, { fileMustExist: true });
      try {
        db.defaultSafeIntegers(true);
        db.pragma('journal_mode = WAL');
        db.pragma('busy_timeout = 5000');
        const started = Date.now();
        const logger = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
        const n = reindex(db, {
          logger,
          ...(opts.rulesFile === undefined ? {} : { rulesFile: opts.rulesFile }),
          onProgress: (done, total) => process.stderr.write(`\rreindex: ${done}/${total} entries`),
        });
        process.stderr.write(
          `\nreindex: ${n} entries indexed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
        );
      } catch (error) {
        process.stderr.write('\n');
        throw new ReindexError('FAILED', `reindex: ${(error as Error).message}`);
      } finally {
        db.close();
        lock.release();
      }
    });
}

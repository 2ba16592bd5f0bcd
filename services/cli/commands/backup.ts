// `ingress-ledger backup`: an online copy of a ledger's SQLite database, taken with SQLite's backup
// API while the ledger keeps writing, then checked before it is put in place (backup/check-copy.ts:
// the tree rebuilt from the copy's own leaf hashes must match its stored nodes and the latest
// signed checkpoint). A copy that does not check is never written to --out.
import { closeSync, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { LEDGER_DB_FILE } from '../../../packages/runtime/index.js';
import { TlogError } from '../../../packages/tlog/index.js';
import { type CopyCheck, checkCopy, isSqliteError, missingLedgerTables } from '../backup/check-copy.js';
import { CliError } from '../errors.js';
import { hex, printJson, println } from '../output.js';
import { Progress } from '../progress.js';

/**
 * Pages copied per backup step (16 MiB at the ledger's 16 KiB pages): large enough that a step's
 * overhead does not matter, small enough that the progress bar moves and signals are handled.
 */
export const PAGES_PER_STEP = 1024;

interface BackupOptions {
  dataDir: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

export function backupCommand(): Command {
  return new Command('backup')
    .description("copy a ledger's database while it runs, check the copy, and write it (mode 0600)")
    .requiredOption('--data-dir <dir>', 'the ledger data directory (holds ledger.sqlite)')
    .requiredOption('--out <file>', 'where to write the copy')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print the result as JSON')
    .action((o: BackupOptions) => backup(o));
}

async function backup(o: BackupOptions): Promise<void> {
  const source = sourceFile(o.dataDir);
  const out = resolve(o.out);
  checkOut(out, o.dataDir, o.force === true);
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  const leftovers = [temp, `${temp}-journal`, `${temp}-wal`, `${temp}-shm`];
  const removeLeftovers = () => {
    for (const f of leftovers) rmSync(f, { force: true });
  };
  // Interrupted between two steps of the copy: the half copy goes too.
  const onSignal = (signal: NodeJS.Signals) => {
    removeLeftovers();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  try {
    // Created here, empty and 0600, so the copy is never readable by others, not even briefly.
    fsStep(`--out ${out}`, () => closeSync(openSync(temp, 'wx', 0o600)));
    const pages = await copyDatabase(source, temp);
    const check = checkOrFail(temp);
    const bytes = statSync(temp).size;
    fsStep(`--out ${out}`, () => {
      syncFile(temp);
      renameSync(temp, out);
      syncFile(dirname(out));
    });
    report(o, out, bytes, pages, check, Date.now() - started);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Whatever did not reach --out goes: a half copy, or one that did not check.
    removeLeftovers();
  }
}

/** `<data-dir>/ledger.sqlite`, which must exist as a regular file. */
function sourceFile(dataDir: string): string {
  const dir = statOrUndefined(dataDir);
  if (dir === undefined || !dir.isDirectory())
    throw new CliError('USAGE', `--data-dir ${dataDir}: no such directory`);
  const file = join(dataDir, LEDGER_DB_FILE);
  const st = statOrUndefined(file);
  if (st === undefined || !st.isFile())
    throw new CliError(
      'USAGE',
      `--data-dir ${dataDir}: no ${LEDGER_DB_FILE} here: not a ledger data directory`,
    );
  return file;
}

/** Files of the data dir that --out must never replace: the log, its WAL and journals, the lock. */
const LEDGER_FILE_PREFIXES = [LEDGER_DB_FILE, 'ingress-ledger.lock'];

function checkOut(out: string, dataDir: string, force: boolean): void {
  const dir = statOrUndefined(dirname(out));
  if (dir === undefined || !dir.isDirectory())
    throw new CliError('USAGE', `--out ${out}: directory ${dirname(out)} does not exist`);
  const inDataDir = realpathSync(dirname(out)) === realpathSync(dataDir);
  if (inDataDir && LEDGER_FILE_PREFIXES.some((p) => basename(out).startsWith(p)))
    throw new CliError('USAGE', `--out ${out}: that name belongs to the ledger's own files`);
  const st = statOrUndefined(out);
  if (st !== undefined && !force)
    throw new CliError('USAGE', `--out ${out} exists; pass --force to replace it`);
  if (st?.isDirectory() === true) throw new CliError('USAGE', `--out ${out} is a directory`);
}

/** Runs a file-system step; its failure (no space, no permission) is exit 2 naming the path. */
function fsStep(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw err;
    throw new CliError('CONFIG', `${what}: cannot write (${code})`);
  }
}

/**
 * Copies `source` into `dest` page by page. The whole copy is one snapshot: a read transaction is
 * held on the source connection for its duration, so the ledger's commits in the meantime (WAL
 * mode: they never wait for a reader) neither appear in the copy nor restart it, as they would
 * between steps without one. Returns the number of pages copied.
 */
async function copyDatabase(source: string, dest: string): Promise<number> {
  let db: Database.Database | undefined;
  try {
    db = new Database(source, { readonly: true, fileMustExist: true });
    db.exec('BEGIN');
    // The first read starts the snapshot; it is also where a file that is not SQLite fails.
    const missing = missingLedgerTables(db);
    if (missing.length > 0)
      throw new CliError('USAGE', `${source}: not a ledger database (no table ${missing.join(', ')})`);
    const progress = new Progress('backup');
    const result = await db.backup(dest, {
      progress: ({ totalPages, remainingPages }) => {
        progress.update(BigInt(totalPages - remainingPages), BigInt(totalPages));
        return PAGES_PER_STEP;
      },
    });
    progress.done();
    db.exec('COMMIT');
    return result.totalPages;
  } catch (err) {
    if (isSqliteError(err))
      throw new CliError('USAGE', `${source}: not a readable ledger database (${err.code}: ${err.message})`);
    throw err;
  } finally {
    db?.close();
  }
}

/** Checks the copy; a mismatch is exit 1, an unreadable copy (the source was corrupt) exit 2. */
function checkOrFail(file: string): CopyCheck {
  let check: CopyCheck;
  try {
    const progress = new Progress('check');
    check = checkCopy(file, (done, total) => progress.update(done, total));
    progress.done();
  } catch (err) {
    if (isSqliteError(err))
      throw new CliError('USAGE', `the copy cannot be read, so the ledger database is damaged (${err.code})`);
    if (err instanceof TlogError)
      throw new CliError('VERIFY_FAILED', `the copy does not check: ${err.code}: ${err.message}`);
    throw err;
  }
  if (check.problem !== undefined)
    throw new CliError('VERIFY_FAILED', `the copy does not check: ${check.problem}; nothing written`);
  return check;
}

function report(o: BackupOptions, out: string, bytes: number, pages: number, c: CopyCheck, ms: number): void {
  if (o.json === true) {
    printJson({
      ok: true,
      out,
      bytes,
      pages,
      treeSize: c.treeSize,
      checkpoint:
        c.checkpoint === undefined
          ? null
          : { origin: c.checkpoint.origin, size: c.checkpoint.size, rootHash: hex(c.checkpoint.rootHash) },
      seconds: ms / 1000,
    });
    return;
  }
  const checked =
    c.checkpoint === undefined
      ? 'no signed checkpoint yet, nothing to check'
      : `checkpoint ${c.checkpoint.size} re-derived`;
  println(
    `backup: ${out}: tree size ${c.treeSize}, ${bytes.toLocaleString('en-US')} bytes, ${checked} (${(ms / 1000).toFixed(1)}s)`,
  );
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

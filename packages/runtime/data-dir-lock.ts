// One process per data dir. The lock is a small SQLite file held in EXCLUSIVE locking mode: SQLite
// takes a POSIX advisory lock on it, which the kernel drops when the process dies however it dies
// (SIGKILL, OOM, a lost container), and which processes in other containers see when they share
// the volume (on file systems with working POSIX locks: local disks, most CSI volumes; not every
// NFS setup). A stale lock can therefore not outlive its holder, and nobody has to delete it.
//
// Who holds the lock is written to a holder file beside it, after the lock is won; a process that
// finds the lock taken reads that file to name the holder. The holder file is only a label: the
// lock is what excludes.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

// Loaded when a lock is taken: the CLI's client commands import this package and need no SQLite.
const require = createRequire(import.meta.url);

/** The lock file inside a data dir. */
export const LOCK_FILE = 'ingress-ledger.lock';
/** The holder file: JSON { pid, host, startedAt, command } of the process that holds the lock. */
export const HOLDER_FILE = 'ingress-ledger.lock.holder';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601, when the holder took the lock. */
  startedAt: string;
  /** What holds it: "ledger", "up". */
  command: string;
}

export type DataDirLockErrorCode =
  /** Another process holds the lock (exit status 2: the data dir is configuration). */
  'CONFIG';

export class DataDirLockError extends Error {
  override readonly name = 'DataDirLockError';
  readonly code: DataDirLockErrorCode = 'CONFIG';
  constructor(
    message: string,
    /** The holder as its holder file names it, when it could be read. */
    readonly holder?: LockHolder,
  ) {
    super(message);
  }
}

export interface DataDirLock {
  readonly dir: string;
  /** Releases the lock (idempotent); the holder file stays, naming the last holder. */
  release(): void;
}

function readHolder(dir: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(join(dir, HOLDER_FILE), 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.host !== 'string' || typeof h.startedAt !== 'string')
      return undefined;
    return { pid: h.pid, host: h.host, startedAt: h.startedAt, command: String(h.command ?? '?') };
  } catch {
    return undefined;
  }
}

function describe(h: LockHolder | undefined): string {
  if (h === undefined) return 'a process that has not yet written its holder file';
  return `${h.command} pid ${h.pid} on host ${h.host}, started ${h.startedAt}`;
}

/**
 * Takes the lock of `dir` (created when missing) for `command`, or throws DataDirLockError naming
 * the holder. Never waits: a second process must fail at once, not queue behind the first.
 */
export function lockDataDir(dir: string, command: string): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  const db = new Database(join(dir, LOCK_FILE), { timeout: 0 });
  try {
    // EXCLUSIVE mode keeps the write lock of the first write transaction until the connection
    // closes. The journal stays in DELETE mode: WAL would share the lock through shared memory.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: unknown }).code !== 'SQLITE_BUSY') throw err;
    const holder = readHolder(dir);
    throw new DataDirLockError(`data dir ${dir} is in use by ${describe(holder)}`, holder);
  }
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command,
  };
  // Written whole then renamed: a reader never sees half a holder.
  const tmp = join(dir, `${HOLDER_FILE}.${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify(holder)}\n`);
  renameSync(tmp, join(dir, HOLDER_FILE));
  return {
    dir,
    release() {
      if (db.open) db.close();
    },
  };
}

// The witness's own view of each log: the latest cosigned size, root hash and note per origin, in
// its own SQLite file. Reading the old state, checking it and writing the new one happen inside a
// single IMMEDIATE transaction, so two requests (or two processes on one file) can never both
// advance from the same size, and the state is on disk before the caller answers.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The database file inside the witness data directory. */
export const STATE_FILE = 'witness.sqlite';

export interface LogState {
  size: bigint;
  rootHash: Uint8Array;
  /** The checkpoint note as cosigned: log signature(s) and this witness's cosignature. */
  note: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log_state (
  origin TEXT PRIMARY KEY NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
  note TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
-- A witness never goes back: refuse any update that would shrink a log, whatever the code above does.
CREATE TRIGGER IF NOT EXISTS log_state_never_shrinks BEFORE UPDATE ON log_state
WHEN NEW.size < OLD.size BEGIN SELECT RAISE(ABORT, 'witness state may not shrink'); END;
CREATE TRIGGER IF NOT EXISTS log_state_never_deleted BEFORE DELETE ON log_state
BEGIN SELECT RAISE(ABORT, 'witness state may not be deleted'); END;
`;

interface Row {
  size: bigint;
  root_hash: Buffer;
  note: string;
}

export class WitnessState {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], Row>;
  readonly #put: Database.Statement<[string, bigint, Uint8Array, string, bigint]>;
  /** Why the last transaction could not commit, until one commits (readiness). */
  #writeFailure: string | undefined;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.#db = new Database(join(dataDir, STATE_FILE));
    this.#db.defaultSafeIntegers(true);
    this.#db.pragma('journal_mode = WAL');
    // FULL: a cosigned size must survive power loss, not only a process crash.
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    this.#get = this.#db.prepare('SELECT size, root_hash, note FROM log_state WHERE origin = ?');
    this.#put = this.#db.prepare(
      `INSERT INTO log_state (origin, size, root_hash, note, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash,
         note = excluded.note, updated_at = excluded.updated_at`,
    );
  }

  get(origin: string): LogState | undefined {
    const row = this.#get.get(origin);
    if (row === undefined) return undefined;
    return { size: row.size, rootHash: new Uint8Array(row.root_hash), note: row.note };
  }

  /**
   * Runs fn in one IMMEDIATE transaction and commits (fsync) once, so several requests can share one
   * disk flush. Nothing fn wrote is visible to anyone, or answered, before the commit.
   */
  batch<T>(fn: () => T): T {
    try {
      const result = this.#db.transaction(fn).immediate();
      this.#writeFailure = undefined;
      return result;
    } catch (err) {
      // A refusal thrown by fn is an answer, not a storage problem; SQLite's own errors are.
      if (err instanceof Database.SqliteError) {
        this.#writeFailure = `last write failed at ${new Date().toISOString()} (${err.code})`;
      }
      throw err;
    }
  }

  /** Readiness: fails while the database is closed or its last write failed. */
  check(): string | undefined {
    if (!this.#db.open) return 'state database closed';
    return this.#writeFailure;
  }

  /**
   * Runs decide(current state) and stores what it returns; must be called inside batch(), which
   * makes the read, the check and the write one atomic step. decide throws to refuse, and then
   * nothing is written. Returns what was stored.
   */
  update(origin: string, decide: (current: LogState | undefined) => LogState): LogState {
    if (!this.#db.inTransaction) throw new Error('WitnessState.update outside batch()');
    const next = decide(this.get(origin));
    this.#put.run(origin, next.size, next.rootHash, next.note, BigInt(Math.floor(Date.now() / 1000)));
    return next;
  }

  close(): void {
    this.#db.close();
  }
}

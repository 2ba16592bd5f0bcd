// The SQLite layout of the log (docs/storage.md). Every log table is append-only: triggers refuse
// UPDATE and DELETE, so even the operator's own SQL cannot rewrite history without failing loudly.
import type Database from 'better-sqlite3';

/** Tables whose rows are never updated or deleted. */
export const APPEND_ONLY_TABLES = [
  'entries',
  'nodes',
  'tree_state',
  'identities',
  'leaf_hashes',
  'checkpoints',
  'published',
  'bodies',
] as const;

const TABLES = `
CREATE TABLE IF NOT EXISTS entries (
  idx INTEGER PRIMARY KEY,
  leaf BLOB NOT NULL,
  leaf_hash BLOB NOT NULL
);
-- Complete subtrees above the leaves; id is the in-order position of node (level, index).
CREATE TABLE IF NOT EXISTS nodes (
  id INTEGER PRIMARY KEY,
  hash BLOB NOT NULL
);
-- The compact range after each batch: restart reads the last row and never rebuilds.
CREATE TABLE IF NOT EXISTS tree_state (
  size INTEGER PRIMARY KEY,
  range BLOB NOT NULL,
  committed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS identities (
  identity TEXT PRIMARY KEY,
  idx INTEGER NOT NULL
) WITHOUT ROWID;
-- Leaf hash -> index, for proofs by leaf hash (and a compact scan of every leaf hash).
CREATE TABLE IF NOT EXISTS leaf_hashes (
  leaf_hash BLOB NOT NULL,
  idx INTEGER NOT NULL,
  PRIMARY KEY (leaf_hash, idx)
) WITHOUT ROWID;
-- The identity and leaf hash of each newest entry, until they are merged into the two tables
-- above. Appending here is sequential, while an insert into those hash-ordered B-trees rewrites a
-- whole page per entry once the log is large; merged in bulk and in key order, each touched page
-- is written once per merge instead. Not append-only: merged rows move out.
CREATE TABLE IF NOT EXISTS unmerged (
  idx INTEGER PRIMARY KEY,
  identity TEXT NOT NULL,
  leaf_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
  size INTEGER PRIMARY KEY,
  note TEXT NOT NULL,
  signed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS published (
  size INTEGER PRIMARY KEY,
  note TEXT NOT NULL,
  published_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bodies (
  sha256 TEXT PRIMARY KEY,
  data BLOB NOT NULL
);
`;

function triggers(table: string): string {
  return `
CREATE TRIGGER IF NOT EXISTS ${table}_no_update BEFORE UPDATE ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ${table}_no_delete BEFORE DELETE ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END;`;
}

/** Creates the log tables and their triggers when missing, and upgrades an older layout. */
export function createLogSchema(db: Database.Database): void {
  db.transaction(() => {
    db.exec(TABLES + APPEND_ONLY_TABLES.map(triggers).join('\n'));
    // Databases made before `leaf_hashes` kept an index on entries.leaf_hash: move it over once.
    const old = db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'entries_by_leaf_hash'",
    );
    if (old.get() !== undefined) {
      db.exec(`INSERT OR IGNORE INTO leaf_hashes (leaf_hash, idx)
        SELECT leaf_hash, idx FROM entries INDEXED BY entries_by_leaf_hash;
        DROP INDEX entries_by_leaf_hash;`);
    }
  }).immediate();
}

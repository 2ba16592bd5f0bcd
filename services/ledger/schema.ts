// The SQLite layout of the log (docs/storage.md). Every log table is append-only: triggers refuse
// UPDATE and DELETE, so even the operator's own SQL cannot rewrite history without failing loudly.
import type Database from 'better-sqlite3';

/** Tables whose rows are never updated or deleted. */
export const APPEND_ONLY_TABLES = [
  'entries',
  'nodes',
  'tree_state',
  'identities',
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
CREATE INDEX IF NOT EXISTS entries_by_leaf_hash ON entries (leaf_hash);
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

/** Creates the log tables and their triggers when missing. */
export function createLogSchema(db: Database.Database): void {
  db.exec(TABLES + APPEND_ONLY_TABLES.map(triggers).join('\n'));
}

/**
 * The rowid of node (level, index): its in-order position in the full binary tree, which is
 * unique and dense. Exact below 2^62 leaves, far beyond any SQLite file.
 */
export function nodeId(level: number, index: bigint): bigint {
  const l = BigInt(level);
  return (index << (l + 1n)) + (1n << l) - 1n;
}

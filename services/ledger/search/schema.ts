// The search tables: derived data beside the log (DESIGN 7), created when missing and dropped by
// reindex. Every name starts with `search_` so they never collide with the log's own tables.
import type Database from 'better-sqlite3';

/** Bump when the layout changes: a database with another version is reindexed by the operator. */
export const SEARCH_SCHEMA_VERSION = 1n;

const TABLES = [
  'search_fts_slow',
  'search_fts_pairs',
  'search_progress',
  'search_fts',
  'search_findings',
  'search_attrs',
  'search_entries',
  'search_meta',
] as const;

export function createSearchTables(db: Database.Database): void {
  // The pair table (fts-pairs.ts) is complete only when it was there from the first entry: a
  // database indexed before it existed keeps matching terms in search_fts until reindexed.
  const hadEntries =
    db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'search_entries'").get() !== undefined &&
    db.prepare('SELECT 1 FROM search_entries LIMIT 1').get() !== undefined;
  const hadPairs =
    db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'search_fts_pairs'").get() !== undefined;
  db.exec(`
    CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT OR IGNORE INTO search_meta (key, value) VALUES ('schema', ${SEARCH_SCHEMA_VERSION});
    -- The follower's position: every entry below \`indexed\` is indexed. Written in the same
    -- transaction as the rows, so a restart resumes exactly there.
    CREATE TABLE IF NOT EXISTS search_progress (key TEXT PRIMARY KEY, indexed INTEGER NOT NULL);
    -- One row per log entry. obj is the object key (cluster, resource, namespace, name): the same
    -- object whatever API group or subresource the write went through.
    CREATE TABLE IF NOT EXISTS search_entries (
      idx INTEGER PRIMARY KEY,
      cluster TEXT NOT NULL,
      namespace TEXT NOT NULL,
      name TEXT NOT NULL,
      uid TEXT NOT NULL,
      api_group TEXT NOT NULL,
      resource TEXT NOT NULL,
      subresource TEXT NOT NULL,
      action TEXT NOT NULL,
      verb TEXT NOT NULL,
      username TEXT NOT NULL,
      user_agent TEXT NOT NULL,
      response_code INTEGER NOT NULL,
      stage_us INTEGER NOT NULL,
      received_us INTEGER NOT NULL,
      reason TEXT,
      obj TEXT NOT NULL,
      -- 1 when the entry changed the stored object (history diffs are taken between these).
      stored INTEGER NOT NULL,
      -- JSON arrays, kept for display and ad-hoc queries: no RPC filters on them, so no index.
      groups TEXT NOT NULL,
      source_ips TEXT NOT NULL,
      tls_secrets TEXT NOT NULL,
      annotation_keys TEXT NOT NULL
    );
    -- Indexes end in idx so a filter reads newest first without sorting. Few on purpose: see
    -- docs/performance.md (## Search) for the write cost of each.
    CREATE INDEX IF NOT EXISTS search_entries_cluster ON search_entries (cluster, idx);
    CREATE INDEX IF NOT EXISTS search_entries_namespace ON search_entries (namespace, idx);
    CREATE INDEX IF NOT EXISTS search_entries_name ON search_entries (name, idx);
    CREATE INDEX IF NOT EXISTS search_entries_user ON search_entries (username, idx);
    CREATE INDEX IF NOT EXISTS search_entries_uid ON search_entries (uid, idx);
    CREATE INDEX IF NOT EXISTS search_entries_stage ON search_entries (stage_us);
    -- Multi-valued attributes that filters use (kind 'host'). Each secondary index costs a random
    -- page write per entry, so only filtered attributes get one (docs/performance.md, Search).
    CREATE TABLE IF NOT EXISTS search_attrs (
      kind TEXT NOT NULL,
      value TEXT NOT NULL,
      idx INTEGER NOT NULL,
      PRIMARY KEY (kind, value, idx)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS search_findings (
      idx INTEGER NOT NULL,
      seq INTEGER NOT NULL,
      rule TEXT NOT NULL,
      severity TEXT NOT NULL,
      message TEXT NOT NULL,
      path TEXT NOT NULL,
      PRIMARY KEY (idx, seq)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS search_findings_rule ON search_findings (rule, idx);
    -- Contentless: the text lives in the leaves; rowid is the log index.
    CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5 (
      reason, username, names, hosts, annotations, content='', tokenize='unicode61'
    );
    -- Adjacent token pairs of search_fts's columns (fts-pairs.ts): fast phrases for identifiers.
    CREATE VIRTUAL TABLE IF NOT EXISTS search_fts_pairs USING fts5 (
      reason, username, names, hosts, annotations, content='', tokenize="unicode61 tokenchars '_'"
    );
    -- Entries whose text is not plain ASCII: not in search_fts_pairs, matched in search_fts.
    CREATE TABLE IF NOT EXISTS search_fts_slow (idx INTEGER PRIMARY KEY);
  `);
  // Attribution (issue 18) lives in search_attrs (kind 'attribution'): no new column, so an index
  // built before needs no migration for leaves made before, which carry no attribution. Entries
  // indexed by an older ledger from newer collectors lack those rows: 'attribution' = 0 says so,
  // and `reindex` rebuilds them (the ledger warns at start).
  const hadAttribution =
    db.prepare("SELECT 1 FROM search_meta WHERE key = 'attribution'").get() !== undefined;
  if (!hadAttribution) {
    db.prepare("INSERT OR REPLACE INTO search_meta (key, value) VALUES ('attribution', ?)").run(
      hadEntries ? 0 : 1,
    );
  }
  if (!hadPairs) {
    db.prepare("INSERT OR REPLACE INTO search_meta (key, value) VALUES ('fts_pairs', ?)").run(
      hadEntries ? 0 : 1,
    );
  }
  // A database indexed inside the append transaction (before the follower) has every entry
  // indexed: it starts after the last indexed row.
  db.exec(`INSERT OR IGNORE INTO search_progress (key, indexed)
           SELECT 'indexed', coalesce(max(idx) + 1, 0) FROM search_entries`);
}

export function dropSearchTables(db: Database.Database): void {
  for (const t of TABLES) db.exec(`DROP TABLE IF EXISTS ${t}`);
}

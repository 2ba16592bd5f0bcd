// The search index, history and risk findings beside the log (DESIGN 5.1, issue 7).
//
// Contract with the ledger:
// - `new SearchIndex(db, opts)` once, on the ledger's database (safeIntegers on, WAL); it creates
//   its `search_*` tables when missing. A bad rules file throws RiskError('BAD_CONFIG').
// - `add(entries)` in the caller's transaction, in index order (the follower, reindex); it records
//   the indexed position in the same transaction and returns each entry's findings for the
//   follower to publish on `ledger.alerts.<cluster>` after commit.
// - `SearchFollower` indexes committed entries after the append transactions, in its own, on a worker
//   thread with its own connection (the ledger's writes go first: write-gate.ts). It never throws
//   for a rule's error or an odd change shape: those are logged and counted.
// - `search(req, publishedSize)` / `history(req, publishedSize)` see only indexes < publishedSize
//   (and below the indexed position) and throw SearchError (errors.ts: a typed code and the field)
//   for bad input, never an RPC status: the API maps it (request-validation.ts).
// - History diffs compare the stored object after each version with the one before it: a patch
//   shows its effect on the object, a failed attempt has an empty diff, a create is one `add` of
//   the root and a delete one `remove` of the root (`from` = the last known version).
// - `reindex(db, opts)` drops and rebuilds the tables from `entries` + `bodies`;
//   `reindexCommand()` is the `ingress-ledger reindex --data-dir DIR` command.

export { SearchError, type SearchErrorCode } from './errors.js';
export { DEFAULT_PAGE_SIZE, MAX_FILTER_CHARS, MAX_PAGE_SIZE } from './filters.js';
export {
  BUSY_YIELD,
  type FollowerOptions,
  type IndexedFindings,
  LAG_WARN_ENTRIES,
  SearchFollower,
} from './follower.js';
export { MAX_SLICE_ENTRIES, SLICE_MS } from './follower-slice.js';
export type { HistoryVersion } from './history.js';
export { type ReindexOptions, reindex } from './reindex.js';
export { ReindexError, reindexCommand } from './reindex-command.js';
export { loadRiskConfig, SearchIndex } from './search-index.js';
export type { DiffOp, Finding, IndexInput, SearchIndexOptions, Severity } from './types.js';

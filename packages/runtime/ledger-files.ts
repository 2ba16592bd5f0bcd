// The ledger's data dir as other tools see it (docs/storage.md): the database file's name and how a
// stored complete subtree is keyed. The ledger writes by these definitions, and offline tools
// (`backup`, `reindex`) read by them: one home, so the two can never drift apart.

/** The log database inside the ledger's --data-dir. */
export const LEDGER_DB_FILE = 'ledger.sqlite';

/**
 * The `nodes` rowid of the complete subtree (level, index): its in-order position in the tree,
 * `index * 2^(level+1) + 2^level - 1`, unique across levels.
 */
export function storedNodeId(level: number, index: bigint): bigint {
  const l = BigInt(level);
  return (index << (l + 1n)) + (1n << l) - 1n;
}

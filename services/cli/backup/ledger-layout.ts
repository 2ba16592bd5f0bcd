// What the backup needs to know of the ledger's SQLite layout (docs/storage.md): the file's name
// and how a stored node is keyed. The ledger's own definitions are `DB_FILE` in
// services/ledger/store.ts and `nodeId` in services/ledger/schema.ts; a service may not import
// another, so they are restated here, and ledger-layout.test.ts fails the moment they differ.

/** The database file inside the ledger's --data-dir. */
export const LEDGER_DB_FILE = 'ledger.sqlite';

/** The `nodes` rowid of complete subtree (level, index): its in-order position in the tree. */
export function storedNodeId(level: number, index: bigint): bigint {
  const l = BigInt(level);
  return (index << (l + 1n)) + (1n << l) - 1n;
}

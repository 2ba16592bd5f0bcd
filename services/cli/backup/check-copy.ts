// The checks a backup must pass before it is kept, both with packages/tlog's Merkle code on the
// hashes stored in the copy itself:
// - the tree is rebuilt from every stored leaf hash, in index order; each complete subtree it
//   produces must equal the stored node (what the restored ledger would serve in proofs), and the
//   root at the latest signed checkpoint's tree size must equal that checkpoint's;
// - the same root, computed the way the ledger serves it (from the O(log n) stored subtrees that
//   tile the tree), must agree too.
// It does not check that each leaf's bytes hash to its stored leaf hash, nor any signature: that is
// what `audit` against a restored ledger does, with the keys it trusts.
import Database from 'better-sqlite3';
import { storedNodeId } from '../../../packages/runtime/index.js';
import {
  type Checkpoint,
  CompactRange,
  HASH_SIZE,
  parseCheckpoint,
  parseNote,
  rootAt,
  TlogError,
} from '../../../packages/tlog/index.js';

/** Tables the check reads; a database without them is not a ledger's. */
const LEDGER_TABLES = ['entries', 'nodes', 'tree_state', 'checkpoints'] as const;

export interface CopyCheck {
  /** The committed tree size of the copy (its last `tree_state` row). */
  treeSize: bigint;
  /** The latest signed checkpoint, if the log has signed one. */
  checkpoint?: Checkpoint;
  /** Why the copy does not check; absent when it does. */
  problem?: string;
}

/** The ledger tables `db` lacks (empty for a ledger database). */
export function missingLedgerTables(db: Database.Database): string[] {
  const have = new Set(
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .all()
      .map((n) => String(n)),
  );
  return LEDGER_TABLES.filter((t) => !have.has(t));
}

/** An error better-sqlite3 raised for the file itself (not a database, corrupt, unreadable). */
export function isSqliteError(err: unknown): err is Error & { code: string } {
  return err instanceof Database.SqliteError;
}

/**
 * Checks a copy, opened read-only. Throws SqliteError when the file cannot be read, TlogError when
 * a stored hash is missing or malformed; returns `problem` for any other mismatch.
 */
export function checkCopy(file: string, onLeaf: (done: bigint, total: bigint) => void = () => {}): CopyCheck {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    const missing = missingLedgerTables(db);
    if (missing.length > 0) return { treeSize: 0n, problem: `no table ${missing.join(', ')}` };
    const treeSize = (db.prepare('SELECT max(size) FROM tree_state').pluck().get() as bigint | null) ?? 0n;
    const row = db.prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1').get() as
      | { size: bigint; note: unknown }
      | undefined;
    if (row === undefined) return { treeSize };
    if (typeof row.note !== 'string') return { treeSize, problem: `checkpoint ${row.size} is not text` };
    // The note's body is what the log signed; the signature itself is audit's business (it needs
    // the log's key, which a backup does not).
    const checkpoint = parseCheckpoint(parseNote(row.note).text);
    const fail = (problem: string): CopyCheck => ({ treeSize, checkpoint, problem });
    if (checkpoint.size !== row.size)
      return fail(`checkpoint row ${row.size} holds tree size ${checkpoint.size}`);
    if (checkpoint.size > treeSize)
      return fail(`checkpoint ${checkpoint.size} is beyond tree size ${treeSize}`);
    const node = db.prepare('SELECT hash FROM nodes WHERE id = ?').pluck();
    const rebuilt = rebuild(
      db,
      treeSize,
      checkpoint.size,
      (level, index, hash) => {
        const want = node.get(storedNodeId(level, index));
        return want instanceof Uint8Array && equal(want, hash);
      },
      onLeaf,
    );
    if (typeof rebuilt === 'string') return fail(rebuilt);
    if (!equal(rebuilt, checkpoint.rootHash))
      return fail(`the leaves' root at tree size ${checkpoint.size} differs from the checkpoint's`);
    const leaf = db.prepare('SELECT leaf_hash FROM entries WHERE idx = ?').pluck();
    const served = rootAt(checkpoint.size, (level, index) =>
      stored(level === 0 ? leaf.get(index) : node.get(storedNodeId(level, index)), level, index),
    );
    if (!equal(served, checkpoint.rootHash))
      return fail(`the stored subtrees give another root at tree size ${checkpoint.size}`);
    return { treeSize, checkpoint };
  } finally {
    db.close();
  }
}

/**
 * Folds every leaf hash of [0, treeSize) into a compact range, asking `nodeOk` about each complete
 * subtree above the leaves; returns the root at `size`, or why the stored tree is not the one its
 * leaves make.
 */
function rebuild(
  db: Database.Database,
  treeSize: bigint,
  size: bigint,
  nodeOk: (level: number, index: bigint, hash: Uint8Array) => boolean,
  onLeaf: (done: bigint, total: bigint) => void,
): Uint8Array | string {
  let range = CompactRange.empty();
  let root = range.root();
  let bad: string | undefined;
  const visit = (level: number, index: bigint, hash: Uint8Array) => {
    if (level > 0 && bad === undefined && !nodeOk(level, index, hash))
      bad = `stored node (${level}, ${index}) is not the hash of its leaves`;
  };
  const rows = db.prepare('SELECT idx, leaf_hash FROM entries WHERE idx < ? ORDER BY idx').raw();
  for (const [idx, hash] of rows.iterate(treeSize) as IterableIterator<[bigint, unknown]>) {
    if (idx !== range.size) return `entry ${range.size} is missing`;
    if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE)
      return `leaf hash of entry ${idx} is not ${HASH_SIZE} bytes`;
    range = range.append(hash, visit);
    if (bad !== undefined) return bad;
    if (range.size === size) root = range.root();
    if ((idx & 0xfffn) === 0n) onLeaf(idx, treeSize);
  }
  if (range.size !== treeSize) return `entry ${range.size} is missing`;
  return root;
}

/** A stored hash (rootAt checks its length), as the ledger's own node reader does. */
function stored(value: unknown, level: number, index: bigint): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new TlogError('MISSING_NODE', `no stored hash for node (${level}, ${index})`);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

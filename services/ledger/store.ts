// The log's storage: one SQLite file, one writer. An append batch (entries, the Merkle nodes they
// complete, identities, bodies and the new compact range) is one transaction, so a
// crash leaves either all of a batch or none of it. Proofs read O(log n) stored hashes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Change } from '../../packages/change/index.js';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  type NodeReader,
  rootAt,
  TlogError,
} from '../../packages/tlog/index.js';
import { LedgerError } from './errors.js';
import { createLogSchema, nodeId } from './schema.js';

/** The database file inside --data-dir. */
export const DB_FILE = 'ledger.sqlite';

/** SQLite page size of a new database: packs 1-2 KB leaves with little slack per page. */
export const PAGE_SIZE = 16_384;

/** Nodes at this level and above are kept in memory once read: every proof passes through them. */
export const NODE_CACHE_MIN_LEVEL = 4;
/** Most cached nodes (~100 bytes each): 1M entries need about 125k, so the cap only bites far beyond. */
export const NODE_CACHE_MAX = 1 << 18;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** One admitted leaf, ready to append. */
export interface AppendItem {
  leaf: Uint8Array;
  leafHash: Uint8Array;
  identity: string;
  change: Change;
  /** Out-of-leaf bodies by lower-case hex sha256. */
  bodies: ReadonlyMap<string, Uint8Array>;
}

export interface StoredCheckpoint {
  size: bigint;
  note: string;
}

/** What happened to each item of a batch, in order: its new index, or 'duplicate'. */
export type AppendOutcome = bigint | 'duplicate';

/**
 * Runs inside the append transaction after the batch's entries are written, with the appended
 * items and their indexes. Throwing aborts the whole batch. (The search index does not hook in:
 * it follows the log in its own transactions, search/follower.ts.)
 */
export type AppendHook = (appended: { index: bigint; item: AppendItem }[]) => void;

export class LogStore {
  readonly db: Database.Database;
  #range: CompactRange;
  readonly #stmts;
  readonly #read: NodeReader;
  // Complete subtrees never change, so a cached hash never goes stale.
  readonly #cache = new Map<number, Uint8Array>();

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, DB_FILE));
    this.db.defaultSafeIntegers(true);
    // Leaves are ~1.5 KB: in 4 KiB pages two fit and a third of each page is wasted. Only takes
    // effect when the file is created (before WAL mode is set).
    this.db.pragma(`page_size = ${PAGE_SIZE}`);
    this.db.pragma('journal_mode = WAL');
    // NORMAL: a commit survives a process crash (WAL); syncDurable() makes it survive power loss
    // too, and runs before every checkpoint is signed, so no signature covers unsynced entries.
    this.db.pragma('synchronous = NORMAL');
    createLogSchema(this.db);
    const db = this.db;
    this.#stmts = {
      insertEntry: db.prepare('INSERT INTO entries (idx, leaf, leaf_hash) VALUES (?, ?, ?)'),
      insertNode: db.prepare('INSERT INTO nodes (id, hash) VALUES (?, ?)'),
      insertIdentity: db.prepare('INSERT OR IGNORE INTO identities (identity, idx) VALUES (?, ?)'),
      insertBody: db.prepare('INSERT OR IGNORE INTO bodies (sha256, data) VALUES (?, ?)'),
      insertState: db.prepare('INSERT INTO tree_state (size, range, committed_at) VALUES (?, ?, ?)'),
      insertCheckpoint: db.prepare('INSERT INTO checkpoints (size, note, signed_at) VALUES (?, ?, ?)'),
      insertPublished: db.prepare(
        'INSERT OR IGNORE INTO published (size, note, published_at) VALUES (?, ?, ?)',
      ),
      lastState: db.prepare('SELECT range FROM tree_state ORDER BY size DESC LIMIT 1').pluck(),
      leafHash: db.prepare('SELECT leaf_hash FROM entries WHERE idx = ?').pluck(),
      node: db.prepare('SELECT hash FROM nodes WHERE id = ?').pluck(),
      byLeafHash: db.prepare('SELECT idx FROM entries WHERE leaf_hash = ? ORDER BY idx LIMIT 1').pluck(),
      entries: db.prepare('SELECT idx, leaf, leaf_hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
      body: db.prepare('SELECT data FROM bodies WHERE sha256 = ?').pluck(),
      identity: db.prepare('SELECT idx FROM identities WHERE identity = ?').pluck(),
      lastCheckpoint: db.prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1'),
      lastPublished: db.prepare('SELECT size, note FROM published ORDER BY size DESC LIMIT 1'),
      checkpoints: db.prepare('SELECT size, note FROM checkpoints ORDER BY size'),
    };
    const row = this.#stmts.lastState.get() as Uint8Array | undefined;
    this.#range = row === undefined ? CompactRange.empty() : decodeRange(row);
    this.#read = (level, index) => {
      if (level === 0) return this.#stored(this.#stmts.leafHash.get(index), level, index);
      const id = nodeId(level, index);
      // A number key hashes far faster than a bigint; ids stay exact below 2^53 (2^51 leaves).
      const key = level >= NODE_CACHE_MIN_LEVEL && id <= MAX_SAFE ? Number(id) : -1;
      const cached = key < 0 ? undefined : this.#cache.get(key);
      if (cached !== undefined) return cached;
      const hash = this.#stored(this.#stmts.node.get(id), level, index);
      if (key >= 0 && this.#cache.size < NODE_CACHE_MAX) this.#cache.set(key, hash);
      return hash;
    };
  }

  /** The committed tree size. */
  get size(): bigint {
    return this.#range.size;
  }

  /** The root hash of the committed tree. */
  root(): Uint8Array {
    return this.#range.root();
  }

  readonly readNode: NodeReader = (level, index) => this.#read(level, index);

  /** Appends a batch in one transaction; identities already in the log (or earlier in the batch) are duplicates. */
  append(items: readonly AppendItem[], hook?: AppendHook): AppendOutcome[] {
    const s = this.#stmts;
    let range = this.#range;
    const run = this.db.transaction(() => {
      const outcomes: AppendOutcome[] = [];
      const appended: { index: bigint; item: AppendItem }[] = [];
      for (const item of items) {
        const index = range.size;
        if (s.insertIdentity.run(item.identity, index).changes === 0) {
          outcomes.push('duplicate');
          continue;
        }
        range = range.append(item.leafHash, (level, i, hash) => {
          if (level > 0) s.insertNode.run(nodeId(level, i), hash);
        });
        s.insertEntry.run(index, item.leaf, item.leafHash);
        for (const [sha, data] of item.bodies) s.insertBody.run(sha, data);
        outcomes.push(index);
        appended.push({ index, item });
      }
      if (appended.length > 0) {
        hook?.(appended);
        s.insertState.run(range.size, range.encode(), BigInt(Date.now()));
      }
      return outcomes;
    });
    const outcomes = run.immediate();
    this.#range = range;
    return outcomes;
  }

  /** Forces the WAL to stable storage (the checkpointer calls it before signing). */
  syncDurable(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /** Whether an identity is already in the log. */
  hasIdentity(identity: string): boolean {
    return this.#stmts.identity.get(identity) !== undefined;
  }

  rootAt(size: bigint): Uint8Array {
    this.#checkSize(size);
    return size === this.#range.size ? this.#range.root() : rootAt(size, this.#read);
  }

  inclusionProof(index: bigint, size: bigint): Uint8Array[] {
    this.#checkSize(size);
    return inclusionProof(index, size, this.#read);
  }

  consistencyProof(from: bigint, to: bigint): Uint8Array[] {
    this.#checkSize(to);
    return consistencyProof(from, to, this.#read);
  }

  /** The index of the first leaf with this hash, if any. */
  indexOfLeafHash(hash: Uint8Array): bigint | undefined {
    return this.#stmts.byLeafHash.get(hash) as bigint | undefined;
  }

  entries(start: bigint, end: bigint): { idx: bigint; leaf: Uint8Array; leaf_hash: Uint8Array }[] {
    return this.#stmts.entries.all(start, end) as { idx: bigint; leaf: Uint8Array; leaf_hash: Uint8Array }[];
  }

  body(sha256: string): Uint8Array | undefined {
    return this.#stmts.body.get(sha256) as Uint8Array | undefined;
  }

  addCheckpoint(c: StoredCheckpoint): void {
    this.#stmts.insertCheckpoint.run(c.size, c.note, BigInt(Date.now()));
  }

  addPublished(c: StoredCheckpoint): void {
    this.#stmts.insertPublished.run(c.size, c.note, BigInt(Date.now()));
  }

  lastCheckpoint(): StoredCheckpoint | undefined {
    return this.#stmts.lastCheckpoint.get() as StoredCheckpoint | undefined;
  }

  lastPublished(): StoredCheckpoint | undefined {
    return this.#stmts.lastPublished.get() as StoredCheckpoint | undefined;
  }

  /** Every signed checkpoint, oldest first (tests and audits). */
  checkpoints(): StoredCheckpoint[] {
    return this.#stmts.checkpoints.all() as StoredCheckpoint[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  #stored(hash: unknown, level: number, index: bigint): Uint8Array {
    if (!(hash instanceof Uint8Array))
      throw new TlogError('MISSING_NODE', `no stored node (${level}, ${index})`);
    return hash;
  }

  #checkSize(size: bigint): void {
    if (size > this.#range.size) throw new TlogError('BAD_RANGE', `tree size ${size} > ${this.#range.size}`);
  }
}

function decodeRange(bytes: Uint8Array): CompactRange {
  try {
    // A fresh copy: better-sqlite3 buffers may not sit on a plain ArrayBuffer DataView accepts.
    return CompactRange.decode(Uint8Array.from(bytes));
  } catch (err) {
    throw new LedgerError('STORE', `stored tree state is corrupt: ${(err as Error).message}`);
  }
}

// The log's storage: one SQLite file, one writer. An append batch (entries, the Merkle nodes they
// complete, identities, bodies and the new compact range) is one transaction, so a
// crash leaves either all of a batch or none of it. Proofs read O(log n) stored hashes.
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LEDGER_DB_FILE, storedNodeId } from '../../packages/runtime/index.js';
import {
  CompactRange,
  consistencyProof,
  EdgeFoldCache,
  inclusionProof,
  type NodeReader,
  rootAt,
  TlogError,
} from '../../packages/tlog/index.js';
import { LedgerError } from './errors.js';
import { HASH_CACHE_MAX_BYTES, HashCache } from './hash-cache.js';
import { createLogSchema } from './schema.js';
import { openGate, type WriteGate } from './write-gate.js';

/** The database file inside --data-dir. */
/** The database file inside the data dir (one definition for the ledger and the offline tools). */
export const DB_FILE = LEDGER_DB_FILE;

/** SQLite page size of a new database: packs 1-2 KB leaves with little slack per page. */
export const PAGE_SIZE = 16_384;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Unmerged entries that trigger a merge into `identities` and `leaf_hashes` (schema.ts). Larger
 * merges write each index page fewer times per entry; the unmerged rows are also held in memory
 * (two map entries each) and a merge pauses appends while it runs.
 */
export const MERGE_ROWS = 32_768;

/** SQLite page cache: the hash-ordered indexes are read at random by every duplicate check. */
const CACHE_KIB = 16 * 1024;

/** A leaf hash as a map key (one char per byte). */
function hashKey(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1');
}

/**
 * How long a write waits for SQLite's lock (held by the search follower's connection between its
 * transactions, see write-gate.ts) before failing with SQLITE_BUSY. Far above any follower slice.
 */
export const BUSY_TIMEOUT_MS = 10_000;

/** One admitted leaf, ready to append. */
export interface AppendItem {
  leaf: Uint8Array;
  leafHash: Uint8Array;
  identity: string;
  /** Out-of-leaf bodies by lower-case hex sha256. */
  bodies: ReadonlyMap<string, Uint8Array>;
}

interface UnmergedRow {
  idx: bigint;
  identity: string;
  leaf_hash: Uint8Array;
}

export interface StoredCheckpoint {
  size: bigint;
  note: string;
}

/** What happened to each item of a batch, in order: its new index, or 'duplicate'. */
export type AppendOutcome = bigint | 'duplicate';

export class LogStore {
  readonly db: Database.Database;
  #range: CompactRange;
  readonly #stmts;
  readonly #read: NodeReader;
  // Complete subtrees never change, so a cached hash never goes stale (hash-cache.ts).
  readonly #hashes: HashCache;
  /** Right-edge folds of the last proven tree size (a few hashes, see EdgeFoldCache). */
  readonly #edges = new EdgeFoldCache();
  /** The rows of the `unmerged` table: identity and leaf hash (hashKey) to index. */
  readonly #unmergedIds = new Map<string, bigint>();
  readonly #unmergedHashes = new Map<string, bigint>();
  #gate: WriteGate = openGate;

  /** `cacheBytes` bounds the in-memory copy of stored hashes (see HashCache). */
  constructor(dataDir: string, cacheBytes = HASH_CACHE_MAX_BYTES) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, DB_FILE), { timeout: BUSY_TIMEOUT_MS });
    this.db.defaultSafeIntegers(true);
    // Leaves are ~1.5 KB: in 4 KiB pages two fit and a third of each page is wasted. Only takes
    // effect when the file is created (before WAL mode is set).
    this.db.pragma(`page_size = ${PAGE_SIZE}`);
    this.db.pragma('journal_mode = WAL');
    // NORMAL: a commit survives a process crash (WAL); syncDurable() makes it survive power loss
    // too, and runs before every checkpoint is signed, so no signature covers unsynced entries.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`cache_size = -${CACHE_KIB}`);
    createLogSchema(this.db);
    const db = this.db;
    this.#stmts = {
      insertEntry: db.prepare('INSERT INTO entries (idx, leaf, leaf_hash) VALUES (?, ?, ?)'),
      insertNode: db.prepare('INSERT INTO nodes (id, hash) VALUES (?, ?)'),
      insertUnmerged: db.prepare('INSERT INTO unmerged (idx, identity, leaf_hash) VALUES (?, ?, ?)'),
      unmerged: db.prepare('SELECT idx, identity, leaf_hash FROM unmerged'),
      mergeIdentities: db.prepare(
        'INSERT OR IGNORE INTO identities (identity, idx) SELECT identity, idx FROM unmerged ORDER BY identity',
      ),
      mergeLeafHashes: db.prepare(
        'INSERT OR IGNORE INTO leaf_hashes (leaf_hash, idx) SELECT leaf_hash, idx FROM unmerged ORDER BY leaf_hash',
      ),
      clearUnmerged: db.prepare('DELETE FROM unmerged'),
      insertBody: db.prepare('INSERT OR IGNORE INTO bodies (sha256, data) VALUES (?, ?)'),
      insertState: db.prepare('INSERT INTO tree_state (size, range, committed_at) VALUES (?, ?, ?)'),
      insertCheckpoint: db.prepare('INSERT INTO checkpoints (size, note, signed_at) VALUES (?, ?, ?)'),
      insertPublished: db.prepare(
        'INSERT OR IGNORE INTO published (size, note, published_at) VALUES (?, ?, ?)',
      ),
      lastState: db.prepare('SELECT range FROM tree_state ORDER BY size DESC LIMIT 1').pluck(),
      leafHash: db.prepare('SELECT leaf_hash FROM entries WHERE idx = ?').pluck(),
      node: db.prepare('SELECT hash FROM nodes WHERE id = ?').pluck(),
      byLeafHash: db.prepare('SELECT idx FROM leaf_hashes WHERE leaf_hash = ? ORDER BY idx LIMIT 1').pluck(),
      entries: db.prepare('SELECT idx, leaf, leaf_hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
      body: db.prepare('SELECT data FROM bodies WHERE sha256 = ?').pluck(),
      bodyRow: db.prepare('SELECT rowid, data FROM bodies WHERE sha256 = ?'),
      maxBodyRow: db.prepare('SELECT max(rowid) FROM bodies').pluck(),
      leafHashes: db.prepare('SELECT leaf_hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx').pluck(),
      identity: db.prepare('SELECT idx FROM identities WHERE identity = ?').pluck(),
      lastCheckpoint: db.prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1'),
      lastPublished: db.prepare('SELECT size, note FROM published ORDER BY size DESC LIMIT 1'),
      checkpoints: db.prepare('SELECT size, note FROM checkpoints ORDER BY size'),
    };
    const row = this.#stmts.lastState.get() as Uint8Array | undefined;
    this.#range = row === undefined ? CompactRange.empty() : decodeRange(row);
    for (const row of this.#stmts.unmerged.iterate() as IterableIterator<UnmergedRow>) {
      this.#unmergedIds.set(row.identity, row.idx);
      this.#unmergedHashes.set(hashKey(row.leaf_hash), row.idx);
    }
    this.#hashes = new HashCache(cacheBytes);
    this.#loadHashes();
    // The scan above filled the page cache with leaf-hash and node pages that the hash cache now
    // holds; give that memory back (the cache refills only with what duplicate checks read).
    this.db.pragma('shrink_memory');
    this.#read = (level, index) => {
      if (index <= MAX_SAFE) {
        const cached = this.#hashes.get(level, Number(index));
        if (cached !== undefined) return cached;
      }
      if (level === 0) return this.#stored(this.#stmts.leafHash.get(index), level, index);
      return this.#stored(this.#stmts.node.get(storedNodeId(level, index)), level, index);
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

  /** Writes wait at this gate for another connection's transaction (the search follower's). */
  useWriteGate(gate: WriteGate): void {
    this.#gate = gate;
  }

  #gated<T>(fn: () => T): T {
    this.#gate.enter();
    try {
      return fn();
    } finally {
      this.#gate.leave();
    }
  }

  /** Appends a batch in one transaction; identities already in the log (or earlier in the batch) are duplicates. */
  append(items: readonly AppendItem[]): AppendOutcome[] {
    const s = this.#stmts;
    let range = this.#range;
    // Cached only once the transaction commits: a rolled-back batch leaves no trace.
    const completed: [number, bigint, Uint8Array][] = [];
    const added = new Map<string, bigint>();
    const run = this.db.transaction(() => {
      completed.length = 0;
      added.clear();
      const outcomes: AppendOutcome[] = [];
      for (const item of items) {
        const index = range.size;
        if (added.has(item.identity) || this.hasIdentity(item.identity)) {
          outcomes.push('duplicate');
          continue;
        }
        added.set(item.identity, index);
        s.insertUnmerged.run(index, item.identity, item.leafHash);
        range = range.append(item.leafHash, (level, i, hash) => {
          if (level > 0) {
            s.insertNode.run(storedNodeId(level, i), hash);
            completed.push([level, i, hash]);
          }
        });
        completed.push([0, index, item.leafHash]);
        s.insertEntry.run(index, item.leaf, item.leafHash);
        for (const [sha, data] of item.bodies) s.insertBody.run(sha, data);
        outcomes.push(index);
      }
      if (added.size > 0) {
        s.insertState.run(range.size, range.encode(), BigInt(Date.now()));
      }
      return outcomes;
    });
    const outcomes = this.#gated(() => run.immediate());
    this.#range = range;
    for (const [level, i, hash] of completed) {
      if (level === 0) this.#unmergedHashes.set(hashKey(hash), i);
      if (i <= MAX_SAFE) this.#hashes.push(level, Number(i), hash);
    }
    for (const [identity, index] of added) this.#unmergedIds.set(identity, index);
    if (this.#unmergedIds.size >= MERGE_ROWS) {
      try {
        this.merge();
      } catch {
        // The batch is committed and must be acked; the rows stay unmerged (lookups still see
        // them) and the next append tries again, where a lasting fault (disk full) surfaces.
      }
    }
    return outcomes;
  }

  /**
   * Moves every unmerged identity and leaf hash into their hash-ordered tables, in key order, in
   * one transaction (append calls it when MERGE_ROWS are waiting). Lookups see the same answers
   * before and after.
   */
  merge(): void {
    const s = this.#stmts;
    const run = this.db.transaction(() => {
      s.mergeIdentities.run();
      s.mergeLeafHashes.run();
      s.clearUnmerged.run();
    });
    this.#gated(() => run.immediate());
    this.#unmergedIds.clear();
    this.#unmergedHashes.clear();
  }

  /** Forces every committed batch to stable storage (the checkpointer calls it before signing). */
  syncDurable(): void {
    // Committed frames are in the WAL, so syncing that file makes them survive power loss; frames
    // SQLite has already checkpointed into the database file were synced there by the checkpoint.
    // A checkpoint would do it too, but it also copies every frame into the database file and
    // syncs that, on the ingest's thread, four times a second.
    let fd: number | undefined;
    try {
      fd = openSync(`${this.db.name}-wal`, 'r');
    } catch {
      // No WAL file (nothing written yet, or it was removed): the checkpoint path covers it.
      // Gated: a checkpoint the follower's commit started could leave out frames just appended.
      this.#gated(() => this.db.pragma('wal_checkpoint(PASSIVE)'));
      return;
    }
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Whether an identity is already in the log. */
  hasIdentity(identity: string): boolean {
    return this.#unmergedIds.has(identity) || this.#stmts.identity.get(identity) !== undefined;
  }

  rootAt(size: bigint): Uint8Array {
    this.#checkSize(size);
    return size === this.#range.size ? this.#range.root() : rootAt(size, this.#read);
  }

  inclusionProof(index: bigint, size: bigint): Uint8Array[] {
    this.#checkSize(size);
    return inclusionProof(index, size, this.#read, this.#edges);
  }

  consistencyProof(from: bigint, to: bigint): Uint8Array[] {
    this.#checkSize(to);
    return consistencyProof(from, to, this.#read);
  }

  /** The index of the first leaf with this hash, if any. */
  indexOfLeafHash(hash: Uint8Array): bigint | undefined {
    // Merged rows are older than unmerged ones, so the first index is the merged one when both exist.
    const merged = this.#stmts.byLeafHash.get(hash) as bigint | undefined;
    return merged ?? this.#unmergedHashes.get(hashKey(hash));
  }

  entries(start: bigint, end: bigint): { idx: bigint; leaf: Uint8Array; leaf_hash: Uint8Array }[] {
    return this.#stmts.entries.all(start, end) as { idx: bigint; leaf: Uint8Array; leaf_hash: Uint8Array }[];
  }

  body(sha256: string): Uint8Array | undefined {
    return this.#stmts.body.get(sha256) as Uint8Array | undefined;
  }

  /** The leaf hashes of [start, end), in order (one range read: a level-0 hash tile). */
  leafHashes(start: bigint, end: bigint): Uint8Array[] {
    return this.#stmts.leafHashes.all(start, end) as Uint8Array[];
  }

  /**
   * A body with its row number. Bodies commit in the transaction of their entry, so comparing the
   * row with `lastBodyRow()` taken after an append tells which tree size first held it.
   */
  bodyRow(sha256: string): { rowid: bigint; data: Uint8Array } | undefined {
    return this.#stmts.bodyRow.get(sha256) as { rowid: bigint; data: Uint8Array } | undefined;
  }

  /** The row number of the newest body, 0 when there is none. */
  lastBodyRow(): bigint {
    return (this.#stmts.maxBodyRow.get() as bigint | null) ?? 0n;
  }

  addCheckpoint(c: StoredCheckpoint): void {
    this.#gated(() => this.#stmts.insertCheckpoint.run(c.size, c.note, BigInt(Date.now())));
  }

  addPublished(c: StoredCheckpoint): void {
    this.#gated(() => this.#stmts.insertPublished.run(c.size, c.note, BigInt(Date.now())));
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

  /** Bytes held by the in-memory hash cache, and its lowest cached level (tests, metrics). */
  hashCacheStats(): { bytes: number; minLevel: number } {
    return { bytes: this.#hashes.bytes, minLevel: this.#hashes.minLevel };
  }

  /** Fills the hash cache from the store: leaf hashes from the leaf-hash index, nodes from their table. */
  #loadHashes(): void {
    const size = this.#range.size;
    if (size > MAX_SAFE) return;
    const cache = this.#hashes;
    cache.prepare(Number(size));
    if (cache.minLevel === 0) {
      // These hold (leaf_hash, idx): ~40 bytes a row instead of the ~1.5 KB leaf rows.
      const leaves = this.db
        .prepare('SELECT idx, leaf_hash FROM leaf_hashes UNION ALL SELECT idx, leaf_hash FROM unmerged')
        .raw()
        .safeIntegers(false);
      for (const row of leaves.iterate() as IterableIterator<[number, Uint8Array]>)
        cache.set(0, row[0], row[1]);
    }
    const nodes = this.db.prepare('SELECT id, hash FROM nodes').raw().safeIntegers(false);
    for (const [id, hash] of nodes.iterate() as IterableIterator<[number, Uint8Array]>) {
      // id = (index << (level + 1)) + 2^level - 1: level is the number of trailing one bits.
      let level = 0;
      let rest = id;
      while (rest % 2 === 1) {
        level++;
        rest = (rest - 1) / 2;
      }
      if (level >= cache.minLevel) cache.set(level, Math.floor(rest / 2), hash);
    }
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

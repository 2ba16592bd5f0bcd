// An in-memory copy of the log's stored hashes (leaf hashes and complete-subtree nodes), so proofs
// are served without SQLite reads. A complete subtree's hash never changes, so an entry never goes
// stale. Each level is one flat buffer of 32-byte hashes indexed by node index: no per-hash object,
// no map, no bigint key. Memory is bounded by `maxBytes` (buffer capacity counted): when the
// levels do not fit, the lowest levels are dropped first (they are the largest) and are read from
// SQLite again. Levels n >> L long for L >= minLevel take ~2^(1-minLevel) * 32 bytes per entry.
import { HASH_SIZE } from '../../packages/tlog/index.js';

/** Default budget: every level (~64 bytes per entry) up to ~2M entries; upper levels far beyond. */
export const HASH_CACHE_MAX_BYTES = 128 * 1024 * 1024;

/** Highest level the cache tracks (trees up to 2^53 leaves, the exact range of a number index). */
const LEVELS = 54;

export class HashCache {
  readonly maxBytes: number;
  /** Levels below this are not cached. */
  #minLevel = 0;
  readonly #bufs: (Buffer | undefined)[] = new Array(LEVELS).fill(undefined);
  /** Hashes present at each level: indexes 0 .. count-1. */
  readonly #counts: number[] = new Array(LEVELS).fill(0);
  #bytes = 0;

  constructor(maxBytes = HASH_CACHE_MAX_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** Lowest cached level. */
  get minLevel(): number {
    return this.#minLevel;
  }

  /** Bytes held (buffer capacity). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Levels >= the returned one fit the budget for a tree of `size` leaves (capacity 1.5x, for growth). */
  static levelFor(size: number, maxBytes: number): number {
    let level = 0;
    for (; level < LEVELS; level++) {
      let total = 0;
      for (let l = level; l < LEVELS; l++) total += Math.ceil(((size / 2 ** l) * 3) / 2) * HASH_SIZE;
      if (total <= maxBytes) break;
    }
    return level;
  }

  /**
   * Sizes the cache for a tree of `size` leaves before a bulk fill with `set`. After it, `set` may
   * fill any index below size >> level; the caller must fill all of them before `get` is used.
   */
  prepare(size: number): void {
    this.#minLevel = HashCache.levelFor(size, this.maxBytes);
    for (let l = 0; l < LEVELS; l++) {
      const n = Math.floor(size / 2 ** l);
      this.#counts[l] = l >= this.#minLevel ? n : 0;
      this.#bufs[l] = undefined;
    }
    this.#bytes = 0;
    for (let l = this.#minLevel; l < LEVELS; l++) {
      const n = this.#counts[l] ?? 0;
      if (n === 0) continue;
      // Room for ~1k more hashes before the first growth (which doubles).
      const buf = Buffer.allocUnsafe((n + 1024) * HASH_SIZE);
      this.#bufs[l] = buf;
      this.#bytes += buf.length;
    }
  }

  /** Writes a hash at a prepared position (bulk fill). */
  set(level: number, index: number, hash: Uint8Array): void {
    const buf = this.#bufs[level];
    if (buf === undefined || level < this.#minLevel || index >= (this.#counts[level] ?? 0)) return;
    buf.set(hash, index * HASH_SIZE);
  }

  /** The hash of node (level, index), if cached. A view: callers must not write to it. */
  get(level: number, index: number): Uint8Array | undefined {
    if (level < this.#minLevel || level >= LEVELS || index >= (this.#counts[level] ?? 0)) return undefined;
    const buf = this.#bufs[level];
    if (buf === undefined) return undefined;
    // A plain Uint8Array view (no copy), like the rest of protobuf-es and the tlog code expects.
    return new Uint8Array(buf.buffer, buf.byteOffset + index * HASH_SIZE, HASH_SIZE);
  }

  /**
   * Records a newly completed node; only the next index of its level is accepted (appends complete
   * nodes in order), anything else is ignored. Growing past the budget drops the lowest level.
   */
  push(level: number, index: number, hash: Uint8Array): void {
    if (level < this.#minLevel || level >= LEVELS || index !== this.#counts[level]) return;
    let buf = this.#bufs[level];
    const at = index * HASH_SIZE;
    if (buf === undefined || at + HASH_SIZE > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(1024, (buf?.length ?? 0) * 2));
      if (buf !== undefined) buf.copy(grown, 0, 0, at);
      this.#bytes += grown.length - (buf?.length ?? 0);
      buf = grown;
      this.#bufs[level] = buf;
      while (this.#bytes > this.maxBytes && this.#minLevel < LEVELS) this.#dropLowest();
      if (level < this.#minLevel) return;
    }
    buf.set(hash, at);
    this.#counts[level] = index + 1;
  }

  #dropLowest(): void {
    const l = this.#minLevel;
    this.#bytes -= this.#bufs[l]?.length ?? 0;
    this.#bufs[l] = undefined;
    this.#counts[l] = 0;
    this.#minLevel = l + 1;
  }
}

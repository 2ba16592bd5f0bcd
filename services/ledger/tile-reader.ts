// The bytes of the static tlog-tiles layout (DESIGN 10), read from the store for a given published
// tree size: hash tiles from the stored Merkle nodes (never by re-hashing leaves), entry bundles
// from the leaves, bodies by digest. Pure reads: what a size allows is decided here, the HTTP
// answer in tiles-http.ts.
//
// Obligations:
// - Nothing beyond `size` is returned: a tile is there when the tree of `size` has at least the
//   asked width of it (a partial tile at width W is the first W hashes or leaves, the same bytes
//   at every later size); a body only once the size that committed it is covered.
// - Full tiles never change, so they are cached (bounded by bytes); partial ones are not.
import { createHash } from 'node:crypto';
import {
  encodeEntryBundle,
  HASH_SIZE,
  readTile,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileWidth,
} from '../../packages/tlog/index.js';
import type { LogStore } from './store.js';

/** Bytes of full hash tiles kept in memory: 4,096 tiles, every level-0 tile of a 1M-entry log. */
export const DEFAULT_TILE_CACHE_BYTES = 4096 * TILE_WIDTH * HASH_SIZE;

export interface TileBytes {
  bytes: Uint8Array;
  /** A strong entity tag (quoted), derived from the bytes. */
  etag: string;
}

function etagOf(bytes: Uint8Array): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`;
}

/** How many leaves or hashes of a tile a request may see: 0 when the tree lacks them. */
function servedWidth(level: number, index: bigint, width: number, size: bigint): number {
  const available = tileWidth(level, index, size);
  return width <= available ? width : 0;
}

/** One mark per append that added bodies: the tree size then, and the newest body row in it. */
interface BodyMark {
  size: bigint;
  row: bigint;
}

export class TileReader {
  readonly #store: LogStore;
  readonly #cache = new Map<string, TileBytes>();
  readonly #cacheMax: number;
  #cacheBytes = 0;
  /** Rows up to #visibleRow are in a published tree; later marks wait for their size. */
  #visibleRow = 0n;
  readonly #marks: BodyMark[] = [];

  constructor(store: LogStore, cacheBytes = DEFAULT_TILE_CACHE_BYTES) {
    this.#store = store;
    this.#cacheMax = cacheBytes;
    // Bodies stored before this start: visible once the tree they were committed in is published.
    this.noteAppended();
  }

  /** Called after each committed append: records which bodies the new size brings. */
  noteAppended(): void {
    const row = this.#store.lastBodyRow();
    const last = this.#marks[this.#marks.length - 1]?.row ?? this.#visibleRow;
    if (row > last) this.#marks.push({ size: this.#store.size, row });
  }

  /** Hash tile (level, index) at `width` (256 = full) in the tree of `size`, if the tree has it. */
  hashTile(level: number, index: bigint, width: number, size: bigint): TileBytes | undefined {
    const w = servedWidth(level, index, width, size);
    if (w === 0) return undefined;
    const key = `${level}/${index}`;
    if (w === TILE_WIDTH) {
      const hit = this.#cache.get(key);
      if (hit !== undefined) {
        // Re-inserted: the map's order is the eviction order.
        this.#cache.delete(key);
        this.#cache.set(key, hit);
        return hit;
      }
    }
    const first = index * BigInt(TILE_WIDTH);
    let bytes: Uint8Array;
    if (level === 0 && this.#store.hashCacheStats().minLevel > 0) {
      // Leaf hashes not in memory (a log past the hash cache's budget): one range read.
      const hashes = this.#store.leafHashes(first, first + BigInt(w));
      bytes = Buffer.concat(hashes);
    } else {
      // The tree size at which this tile has exactly w hashes.
      const sizeAtWidth = (first + BigInt(w)) << BigInt(level * TILE_HEIGHT);
      bytes = readTile(level, index, sizeAtWidth, this.#store.readNode);
    }
    const tile = { bytes, etag: etagOf(bytes) };
    if (w === TILE_WIDTH) this.#remember(key, tile);
    return tile;
  }

  /** Entry bundle `index` at `width` in the tree of `size`: each leaf exactly as stored. */
  entryBundle(index: bigint, width: number, size: bigint): TileBytes | undefined {
    const w = servedWidth(0, index, width, size);
    if (w === 0) return undefined;
    const first = index * BigInt(TILE_WIDTH);
    const leaves = this.#store.entries(first, first + BigInt(w)).map((r) => r.leaf);
    const bytes = encodeEntryBundle(leaves);
    return { bytes, etag: etagOf(bytes) };
  }

  /** An out-of-leaf body by lower-case hex SHA-256, once a tree of at most `size` holds it. */
  body(sha256: string, size: bigint): TileBytes | undefined {
    while (this.#marks.length > 0 && (this.#marks[0]?.size ?? size + 1n) <= size) {
      this.#visibleRow = this.#marks.shift()?.row ?? this.#visibleRow;
    }
    const row = this.#store.bodyRow(sha256);
    if (row === undefined || row.rowid > this.#visibleRow) return undefined;
    // Content-addressed: the digest is the entity tag.
    return { bytes: row.data, etag: `"${sha256}"` };
  }

  #remember(key: string, tile: TileBytes): void {
    if (tile.bytes.length > this.#cacheMax) return;
    this.#cache.set(key, tile);
    this.#cacheBytes += tile.bytes.length;
    for (const [k, t] of this.#cache) {
      if (this.#cacheBytes <= this.#cacheMax) break;
      this.#cache.delete(k);
      this.#cacheBytes -= t.bytes.length;
    }
  }
}

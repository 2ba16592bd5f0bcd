// A log read as tlog-tiles at one tree size: hash tiles, entry bundles, bodies and proofs built
// from the tiles, every object checked for the shape its path requires before anyone uses it.
// Whether the hashes are honest is the caller's to check (against leaves, a checkpoint's root):
// this only guarantees a tile has the width the size implies and a bundle the entries it must.
import {
  consistencyProof,
  consistencyProofNodes,
  entriesPath,
  HASH_SIZE,
  inclusionProof,
  inclusionProofNodes,
  MAX_BUNDLE_ENTRY_BYTES,
  type NodeId,
  type NodeReader,
  nodeHash,
  parseEntryBundle,
  TILE_HEIGHT,
  TILE_WIDTH,
  TlogError,
  tilePath,
  tileWidth,
} from '../tlog/index.js';
import { TilesError } from './errors.js';
import type { TileFetcher } from './fetcher.js';

/** Largest checkpoint note read: a few lines and cosignatures, with a wide margin. */
export const MAX_CHECKPOINT_BYTES = 64 * 1024;
/** A full hash tile. */
export const MAX_HASH_TILE_BYTES = TILE_WIDTH * HASH_SIZE;
/** A full entry bundle of the largest leaves. */
export const MAX_BUNDLE_BYTES = TILE_WIDTH * (2 + MAX_BUNDLE_ENTRY_BYTES);
/** Largest out-of-leaf body read (a change's body is capped far lower by the collector). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Hash tiles kept for proofs; a proof needs at most two per tile level. */
const PROOF_TILE_CACHE = 256;

const BODY_RE = /^[0-9a-f]{64}$/;

/** The root of the 2^k hashes (k <= 8) that `hashes` holds back to back from `offset`. */
export function foldHashes(hashes: Uint8Array, offset: number, count: number): Uint8Array {
  let level: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    level.push(hashes.subarray((offset + i) * HASH_SIZE, (offset + i + 1) * HASH_SIZE));
  }
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

/** The latest checkpoint note; MISSING when there is none. Its content is for the caller to verify. */
export async function fetchCheckpointNote(fetcher: TileFetcher): Promise<string> {
  const bytes = await fetcher.fetch('checkpoint', MAX_CHECKPOINT_BYTES);
  if (bytes === undefined)
    throw new TilesError('MISSING', `${fetcher.location}: no checkpoint`, 'checkpoint');
  return new TextDecoder().decode(bytes);
}

export class TileLog {
  readonly #tiles = new Map<string, Uint8Array>();

  constructor(
    readonly fetcher: TileFetcher,
    /** The tree size whose tiles are read: widths follow from it. */
    readonly size: bigint,
  ) {}

  /** Hash tile (level, index) at the width the tree size gives it: MISSING or MALFORMED otherwise. */
  async hashTile(level: number, index: bigint): Promise<Uint8Array> {
    const width = tileWidth(level, index, this.size);
    if (width === 0) throw new TilesError('MISSING', `tile ${level}/${index} is empty at size ${this.size}`);
    const path = tilePath(level, index, width);
    const bytes = await this.fetcher.fetch(path, MAX_HASH_TILE_BYTES);
    if (bytes === undefined) throw new TilesError('MISSING', `${path} is missing`, path);
    if (bytes.length !== width * HASH_SIZE) {
      throw new TilesError('MALFORMED', `${path} has ${bytes.length} bytes, not ${width * HASH_SIZE}`, path);
    }
    return bytes;
  }

  /** The leaves of entry bundle `index`, as many as the tree size gives it. */
  async entryBundle(index: bigint): Promise<Uint8Array[]> {
    const width = tileWidth(0, index, this.size);
    if (width === 0) throw new TilesError('MISSING', `bundle ${index} is empty at size ${this.size}`);
    const path = entriesPath(index, width);
    const bytes = await this.fetcher.fetch(path, MAX_BUNDLE_BYTES);
    if (bytes === undefined) throw new TilesError('MISSING', `${path} is missing`, path);
    let leaves: Uint8Array[];
    try {
      leaves = parseEntryBundle(bytes);
    } catch (err) {
      if (!(err instanceof TlogError)) throw err;
      throw new TilesError('MALFORMED', `${path}: ${err.message}`, path);
    }
    if (leaves.length !== width) {
      throw new TilesError('MALFORMED', `${path} holds ${leaves.length} entries, not ${width}`, path);
    }
    return leaves;
  }

  /** Leaf `index` (< size). */
  async leaf(index: bigint): Promise<Uint8Array> {
    this.#checkIndex(index);
    const leaves = await this.entryBundle(index / BigInt(TILE_WIDTH));
    return leaves[Number(index % BigInt(TILE_WIDTH))]!;
  }

  /** An out-of-leaf body by lower-case hex SHA-256, or undefined when the layout lacks it. */
  async body(sha256: string): Promise<Uint8Array | undefined> {
    if (!BODY_RE.test(sha256))
      throw new TilesError('BAD_LOCATION', 'a body digest is lower-case hex SHA-256');
    return this.fetcher.fetch(`bodies/${sha256}`, MAX_BODY_BYTES);
  }

  /** RFC 9162 inclusion proof of `index` in the tree of `size` (default: this size), from hash tiles. */
  async inclusionProof(index: bigint, size = this.size): Promise<Uint8Array[]> {
    this.#checkSize(size);
    if (index < 0n || index >= size)
      throw new TilesError('MISSING', `index ${index} is not below size ${size}`);
    const read = await this.#reader(inclusionProofNodes(index, size));
    return inclusionProof(index, size, read);
  }

  /** RFC 9162 consistency proof from `from` (>= 1) to `to` (default: this size), from hash tiles. */
  async consistencyProof(from: bigint, to = this.size): Promise<Uint8Array[]> {
    this.#checkSize(to);
    const read = await this.#reader(consistencyProofNodes(from, to));
    return consistencyProof(from, to, read);
  }

  /** Fetches every tile the nodes lie in, then reads them synchronously. */
  async #reader(ids: readonly NodeId[]): Promise<NodeReader> {
    const where = (level: number, index: bigint) => {
      const tileLevel = Math.floor(level / TILE_HEIGHT);
      const rise = level % TILE_HEIGHT;
      // The node is the root of 2^rise consecutive hashes of tree level tileLevel*8.
      const first = index << BigInt(rise);
      return {
        tileLevel,
        tile: first / BigInt(TILE_WIDTH),
        offset: Number(first % BigInt(TILE_WIDTH)),
        rise,
      };
    };
    // Cleared before, never during: one proof's tiles (two per level at most) all stay.
    if (this.#tiles.size + ids.length > PROOF_TILE_CACHE) this.#tiles.clear();
    for (const id of ids) {
      const w = where(id.level, id.index);
      const key = `${w.tileLevel}/${w.tile}`;
      if (this.#tiles.has(key)) continue;
      this.#tiles.set(key, await this.hashTile(w.tileLevel, w.tile));
    }
    return (level, index) => {
      const w = where(level, index);
      const tile = this.#tiles.get(`${w.tileLevel}/${w.tile}`);
      if (tile === undefined || (w.offset + (1 << w.rise)) * HASH_SIZE > tile.length) {
        throw new TlogError('MISSING_NODE', `no tile holds node (${level}, ${index})`);
      }
      return foldHashes(tile, w.offset, 1 << w.rise);
    };
  }

  #checkIndex(index: bigint): void {
    if (index < 0n || index >= this.size) {
      throw new TilesError('MISSING', `index ${index} is not below the tree size ${this.size}`);
    }
  }

  #checkSize(size: bigint): void {
    if (size < 1n || size > this.size)
      throw new TilesError('MISSING', `size ${size} is not in 1..${this.size}`);
  }
}

// Which tiles an export step needs, and the pure check that ties them to a checkpoint, with no I/O.
//
// Every hash of every fetched tile is bound to the checkpoint's root hash: a full tile folds to
// its entry in the tile above; the top tile and every partial tile are read by the root
// computation itself. Leaf hashes are bound to the bytes of their entry bundle. So a source (or an
// export being restored) that changes one byte anywhere fails here, naming what it changed.
import {
  type Checkpoint,
  HASH_SIZE,
  leafHash,
  MAX_TILE_LEVEL,
  nodeHash,
  rootAt,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileWidth,
} from '../tlog/index.js';
import { ExportError } from './errors.js';

/** One hash tile of a tree size: (level, index) and its width there (256 when full). */
export interface TileRef {
  level: number;
  index: bigint;
  width: number;
}

const W = BigInt(TILE_WIDTH);
const H = BigInt(TILE_HEIGHT);

/**
 * The hash tiles a step from tree size `from` (already exported) to `to` reads, lowest level first:
 * at each level, from the tile that holds `from`'s right edge to the last one of `to`. That covers
 * every hash `to` adds and the edges that `from`'s and `to`'s roots are computed from.
 */
export function tilesFor(from: bigint, to: bigint): TileRef[] {
  const out: TileRef[] = [];
  for (let level = 0; level <= MAX_TILE_LEVEL; level++) {
    const shift = BigInt(level) * H;
    const nodes = to >> shift;
    if (nodes === 0n) break;
    const last = (nodes - 1n) / W;
    for (let index = from >> (shift + H); index <= last; index++)
      out.push({ level, index, width: tileWidth(level, index, to) });
  }
  return out;
}

const tileKey = (level: number, index: bigint) => `${level}/${index}`;

/** Hash tiles by (level, index), as fetched for one tree size. */
export class TileSet {
  readonly #tiles = new Map<string, Uint8Array>();

  add(ref: TileRef, bytes: Uint8Array): void {
    if (bytes.length !== ref.width * HASH_SIZE)
      throw new ExportError(
        'VERIFY_FAILED',
        `tile ${ref.level}/${ref.index} has ${bytes.length} bytes, not ${ref.width * HASH_SIZE}`,
      );
    this.#tiles.set(tileKey(ref.level, ref.index), bytes);
  }

  get(level: number, index: bigint): Uint8Array | undefined {
    return this.#tiles.get(tileKey(level, index));
  }

  /** Hash `i` of tile (level, index). */
  hash(level: number, index: bigint, i: number): Uint8Array {
    const tile = this.get(level, index);
    if (tile === undefined || (i + 1) * HASH_SIZE > tile.length)
      throw new ExportError('VERIFY_FAILED', `tile ${level}/${index} lacks hash ${i}`);
    return tile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }

  /** Node (treeLevel, index) of the tree: read from a tile, or folded from the tile level below it. */
  node = (treeLevel: number, index: bigint): Uint8Array => {
    const level = Math.floor(treeLevel / TILE_HEIGHT);
    if (treeLevel % TILE_HEIGHT === 0) return this.hash(level, index / W, Number(index % W));
    return nodeHash(this.node(treeLevel - 1, 2n * index), this.node(treeLevel - 1, 2n * index + 1n));
  };
}

/** The root of a full tile's 256 hashes: its entry in the tile one level up. */
function fullTileRoot(tile: Uint8Array): Uint8Array {
  let level: Uint8Array[] = [];
  for (let i = 0; i < TILE_WIDTH; i++) level.push(tile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  while (level.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!));
    level = up;
  }
  return level[0]!;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Checks the tiles of `refs` against `checkpoint` and, when given, the earlier exported `older`
 * checkpoint (the tree only grew). Throws VERIFY_FAILED naming the first tile that does not fit.
 */
export function checkTiles(
  tiles: TileSet,
  refs: readonly TileRef[],
  checkpoint: Pick<Checkpoint, 'size' | 'rootHash'>,
  older?: Pick<Checkpoint, 'size' | 'rootHash'>,
): void {
  for (const ref of refs) {
    if (ref.width !== TILE_WIDTH || ref.level === MAX_TILE_LEVEL) continue;
    const parent = tiles.hash(ref.level + 1, ref.index / W, Number(ref.index % W));
    if (!same(fullTileRoot(tiles.get(ref.level, ref.index)!), parent))
      throw new ExportError(
        'VERIFY_FAILED',
        `tile ${ref.level}/${ref.index} does not match its hash in tile ${ref.level + 1}/${ref.index / W}`,
      );
  }
  const root = (size: bigint, what: string, want: Uint8Array) => {
    let got: Uint8Array;
    try {
      got = rootAt(size, tiles.node);
    } catch (err) {
      if (err instanceof ExportError) throw err;
      throw new ExportError('VERIFY_FAILED', `${what}: ${(err as Error).message}`);
    }
    if (!same(got, want))
      throw new ExportError('VERIFY_FAILED', `the tiles do not hash to the root of ${what}`);
  };
  root(checkpoint.size, `checkpoint ${checkpoint.size}`, checkpoint.rootHash);
  if (older !== undefined && older.size > 0n)
    root(
      older.size,
      `the exported checkpoint ${older.size} (the log is not consistent with it)`,
      older.rootHash,
    );
}

/**
 * Checks the entries of bundle `index` against the leaf hashes of level-0 tile `index` (already
 * checked by checkTiles). Throws VERIFY_FAILED naming the first leaf index that differs.
 */
export function checkBundle(
  tiles: TileSet,
  index: bigint,
  width: number,
  entries: readonly Uint8Array[],
): void {
  if (entries.length !== width)
    throw new ExportError(
      'VERIFY_FAILED',
      `entry bundle ${index} has ${entries.length} entries, not ${width}`,
    );
  entries.forEach((leaf, i) => {
    if (!same(leafHash(leaf), tiles.hash(0, index, i)))
      throw new ExportError('VERIFY_FAILED', `leaf ${index * W + BigInt(i)} does not match its leaf hash`);
  });
}

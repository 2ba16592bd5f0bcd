// C2SP tlog-tiles: tile and entry-bundle addressing, bundle encoding, and tiles read from stored
// complete subtrees. A hash tile (L, N) lists the hashes of tree level L*8, nodes N*256 onwards:
// exactly the complete subtrees the Merkle store keeps (see merkle.ts), so tiles are a view.
import { TlogError } from './errors.js';
import { HASH_SIZE } from './hash.js';
import type { NodeId } from './merkle.js';
import { checkTreeSize } from './merkle-bounds.js';

export { type ParsedTilePath, parseTilePath } from './tile-path.js';

/** Hashes (or entries) per full tile. */
export const TILE_WIDTH = 256;
/** Tree levels per tile level. */
export const TILE_HEIGHT = 8;
/** Highest tile level tlog-tiles allows ("a decimal ASCII integer between 0 and 5"). */
export const MAX_TILE_LEVEL = 5;
/** Largest entry an entry bundle can hold (its length prefix is a uint16). */
export const MAX_BUNDLE_ENTRY_BYTES = 0xffff;

const LENGTH_PREFIX_BYTES = 2;

function badRange(why: string): never {
  throw new TlogError('BAD_RANGE', why);
}

function checkTileLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) badRange(`tile level ${level}`);
}

function widthSuffix(width: number | undefined): string {
  if (width === undefined || width === TILE_WIDTH) return '';
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) badRange(`tile width ${width}`);
  return `.p/${width}`;
}

/** Encodes N index as the x001/x234/067 path element. */
export function encodeTileIndex(index: bigint): string {
  if (index < 0n || index > 0xffffffffffffffffn) badRange(`tile index ${index}`);
  const digits = index.toString();
  const groups: string[] = [];
  // Left-pad to whole 3-digit groups, then every group but the last gets an `x`.
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  for (let i = 0; i < padded.length; i += 3) groups.push(padded.slice(i, i + 3));
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** `tile/<L>/<N>[.p/<W>]`, N as x001/x234/067; width W < 256 makes a partial tile. */
export function tilePath(level: number, index: bigint, width?: number): string {
  checkTileLevel(level);
  return `tile/${level}/${encodeTileIndex(index)}${widthSuffix(width)}`;
}

/** `tile/entries/<N>[.p/<W>]`. */
export function entriesPath(index: bigint, width?: number): string {
  return `tile/entries/${encodeTileIndex(index)}${widthSuffix(width)}`;
}

/** Entry bundle: each entry as big-endian uint16 length then bytes. Entries over 65,535 bytes are BAD_RANGE. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length > TILE_WIDTH) badRange(`bundle of ${entries.length} entries`);
  let total = 0;
  for (const e of entries) {
    if (e.length > MAX_BUNDLE_ENTRY_BYTES) badRange(`entry of ${e.length} bytes does not fit a bundle`);
    total += LENGTH_PREFIX_BYTES + e.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >>> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + LENGTH_PREFIX_BYTES);
    at += LENGTH_PREFIX_BYTES + e.length;
  }
  return out;
}

/** Splits a bundle into its entries (copies). Truncated or over-long bundles are MALFORMED. */
export function parseEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (entries.length === TILE_WIDTH) throw new TlogError('MALFORMED', 'bundle has more than 256 entries');
    if (at + LENGTH_PREFIX_BYTES > bundle.length)
      throw new TlogError('MALFORMED', 'bundle truncated in a length');
    const length = (bundle[at]! << 8) | bundle[at + 1]!;
    at += LENGTH_PREFIX_BYTES;
    if (at + length > bundle.length) throw new TlogError('MALFORMED', 'bundle truncated in an entry');
    entries.push(bundle.slice(at, at + length));
    at += length;
  }
  return entries;
}

/** How many hashes tile (level, index) has in a tree of `size` (0 when the tile does not exist yet). */
export function tileWidth(level: number, index: bigint, size: bigint): number {
  checkTileLevel(level);
  checkTreeSize(size);
  if (index < 0n) badRange(`tile index ${index}`);
  // Only complete subtrees appear in tiles: tree level h has size >> h of them.
  const available = (size >> BigInt(level * TILE_HEIGHT)) - index * BigInt(TILE_WIDTH);
  if (available <= 0n) return 0;
  return available >= BigInt(TILE_WIDTH) ? TILE_WIDTH : Number(available);
}

/** The stored nodes tile (level, index) of a tree of `size` lists, in order. Width 0 is BAD_RANGE. */
export function tileNodes(level: number, index: bigint, size: bigint): NodeId[] {
  const width = tileWidth(level, index, size);
  if (width === 0) badRange(`tile ${level}/${index} is empty in a tree of size ${size}`);
  const treeLevel = level * TILE_HEIGHT;
  const first = index * BigInt(TILE_WIDTH);
  const ids: NodeId[] = [];
  for (let i = 0; i < width; i++) ids.push({ level: treeLevel, index: first + BigInt(i) });
  return ids;
}

/**
 * The hashes of tile (level, index) of a tree of `size`: up to 256 hashes of tree level
 * level*8, concatenated. Width is min(256, what the tree has); 0 width is BAD_RANGE.
 */
export function readTile(
  level: number,
  index: bigint,
  size: bigint,
  read: (level: number, index: bigint) => Uint8Array,
): Uint8Array {
  const ids = tileNodes(level, index, size);
  const out = new Uint8Array(ids.length * HASH_SIZE);
  ids.forEach((id, i) => {
    const h = read(id.level, id.index);
    if (h.length !== HASH_SIZE) {
      throw new TlogError('BAD_HASH_SIZE', `stored node (${id.level}, ${id.index}) is ${h.length} bytes`);
    }
    out.set(h, i * HASH_SIZE);
  });
  return out;
}

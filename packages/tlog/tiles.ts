// CONTRACT STUB: to be implemented (keep these signatures). C2SP tlog-tiles addressing and bundles.
import { TlogError } from './errors.js';

/** Hashes (or entries) per full tile. */
export const TILE_WIDTH = 256;
/** Tree levels per tile level. */
export const TILE_HEIGHT = 8;

/** `tile/<L>/<N>[.p/<W>]`, N as x001/x234/067; width W < 256 makes a partial tile. */
export function tilePath(_level: number, _index: bigint, _width?: number): string {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** `tile/entries/<N>[.p/<W>]`. */
export function entriesPath(_index: bigint, _width?: number): string {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Encodes N index as the x001/x234/067 path element. */
export function encodeTileIndex(_index: bigint): string {
  throw new TlogError('MALFORMED', 'not implemented');
}
/** Entry bundle: each entry as big-endian uint16 length then bytes. Entries over 65,535 bytes are BAD_RANGE. */
export function encodeEntryBundle(_entries: readonly Uint8Array[]): Uint8Array {
  throw new TlogError('MALFORMED', 'not implemented');
}
export function parseEntryBundle(_bundle: Uint8Array): Uint8Array[] {
  throw new TlogError('MALFORMED', 'not implemented');
}
/**
 * The hashes of tile (level, index) of a tree of `size`: up to 256 hashes of tree level
 * level*8, concatenated. Width is min(256, what the tree has); 0 width is BAD_RANGE.
 */
export function readTile(
  _level: number,
  _index: bigint,
  _size: bigint,
  _read: (level: number, index: bigint) => Uint8Array,
): Uint8Array {
  throw new TlogError('MALFORMED', 'not implemented');
}

// The names of an export's objects (DESIGN 10): the C2SP tlog-tiles layout, plus every exported
// checkpoint kept as `checkpoints/<size>`. Everything but `checkpoint` is immutable.
import { HASH_SIZE, TILE_WIDTH } from '../tlog/index.js';

/** An entry bundle's length prefix is a uint16. */
const MAX_ENTRY_BYTES = 0xffff;

/** The latest checkpoint: the only object that is ever replaced. */
export const CHECKPOINT_KEY = 'checkpoint';

/** Where each exported checkpoint is kept, once, by its tree size. */
export const checkpointKey = (size: bigint): string => `checkpoints/${size}`;

const HEX_SHA256_RE = /^[0-9a-f]{64}$/;

/** `bodies/<sha256 hex>`; anything but 64 lower-case hex digits is refused (it names a path). */
export function bodyKey(sha256Hex: string): string {
  if (!HEX_SHA256_RE.test(sha256Hex)) throw new RangeError('body digest is not lower-case hex sha256');
  return `bodies/${sha256Hex}`;
}

/** Largest objects read from a source or target, by kind: nothing larger is read into memory. */
export const MAX_BYTES = {
  checkpoint: 64 * 1024,
  tile: TILE_WIDTH * HASH_SIZE,
  bundle: TILE_WIDTH * (2 + MAX_ENTRY_BYTES),
  body: 64 * 1024 * 1024,
} as const;

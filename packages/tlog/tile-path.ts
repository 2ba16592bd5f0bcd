// Parsing tlog-tiles request paths. Paths come straight from HTTP clients, so the parser accepts
// only the canonical form the encoder produces: one spelling per tile, nothing read leniently.
import { TlogError } from './errors.js';

/** A parsed `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`; width 256 means a full tile. */
export type ParsedTilePath =
  | { kind: 'hashes'; level: number; index: bigint; width: number }
  | { kind: 'entries'; index: bigint; width: number };

/** Longest path worth looking at: 6 index groups, a level and a width fit in far fewer bytes. */
const MAX_TILE_PATH_LENGTH = 64;
const LEVEL_RE = /^[0-5]$/;
const WIDTH_RE = /^[1-9][0-9]{0,2}$/;
const GROUP_RE = /^[0-9]{3}$/;
const X_GROUP_RE = /^x[0-9]{3}$/;
// More groups than this would exceed a u64 index.
const MAX_INDEX_GROUPS = 7;

function malformed(why: string): never {
  throw new TlogError('MALFORMED', why);
}

/** Parses the path elements of N: `x001`, `x234`, `067`; the first group is nonzero unless alone. */
function parseIndex(elements: readonly string[]): bigint {
  if (elements.length === 0 || elements.length > MAX_INDEX_GROUPS) malformed('bad tile index');
  let digits = '';
  elements.forEach((e, i) => {
    const last = i === elements.length - 1;
    if (!(last ? GROUP_RE : X_GROUP_RE).test(e)) malformed('bad tile index element');
    digits += last ? e : e.slice(1);
  });
  if (elements.length > 1 && elements[0] === 'x000') malformed('tile index has a leading zero group');
  const index = BigInt(digits);
  if (index > 0xffffffffffffffffn) malformed('tile index too large');
  return index;
}

/** Parses a tile or entry-bundle path (without any URL prefix). Anything non-canonical is MALFORMED. */
export function parseTilePath(path: string): ParsedTilePath {
  if (path.length > MAX_TILE_PATH_LENGTH) malformed('tile path too long');
  const parts = path.split('/');
  if (parts[0] !== 'tile' || parts.length < 3) malformed('not a tile path');
  let width = 256;
  let rest = parts.slice(2);
  const tail = rest[rest.length - 2];
  if (tail?.endsWith('.p')) {
    const w = rest[rest.length - 1]!;
    if (!WIDTH_RE.test(w) || Number(w) > 255) malformed('bad partial tile width');
    width = Number(w);
    rest = [...rest.slice(0, -2), tail.slice(0, -2)];
  }
  const index = parseIndex(rest);
  const kind = parts[1];
  if (kind === 'entries') return { kind: 'entries', index, width };
  if (kind === undefined || !LEVEL_RE.test(kind)) malformed('bad tile level');
  return { kind: 'hashes', level: Number(kind), index, width };
}

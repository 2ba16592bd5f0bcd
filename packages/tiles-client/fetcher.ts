// Where tiles are read from: a tlog-tiles base URL (the ledger's /tiles, a CDN, a bucket's website)
// or a directory holding the same layout (an export). Only GETs of paths inside the layout.
//
// Obligations of a TileFetcher:
// - `fetch(path, maxBytes)` resolves with the object's bytes, or undefined when it does not exist
//   (HTTP 404, no such file); it rejects with TilesError for anything else: a failed request,
//   TIMEOUT, BAD_STATUS, or TOO_LARGE as soon as more than maxBytes arrive (nothing larger is held).
// - `path` is checked against the layout's alphabet first: no `..`, no absolute path, no query.
import { TilesError } from './errors.js';

export interface TileFetcher {
  /** The location as given, for messages. */
  readonly location: string;
  fetch(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** Releases kept-alive connections; no fetch after it. */
  close(): void;
}

/** Longest layout path: a body's 71 bytes, a tile's at most about 40. */
const MAX_LAYOUT_PATH = 128;
const LAYOUT_PATH_RE = /^[a-z0-9]+(?:[./][a-z0-9]+)*$/;

/** Refuses a path that is not a plain relative path of the layout's alphabet. */
export function checkLayoutPath(path: string): void {
  if (path.length > MAX_LAYOUT_PATH || !LAYOUT_PATH_RE.test(path) || path.split('/').includes('..')) {
    throw new TilesError('BAD_LOCATION', `not a tlog-tiles path: ${JSON.stringify(path.slice(0, 80))}`, path);
  }
}

// packages/tiles-client: reads a log published as C2SP tlog-tiles (DESIGN 10) from an http(s) URL
// or a directory (an export), with size limits and timeouts on every object. It checks shapes
// (a tile's width, a bundle's count), never honesty: that is the verifier's (CLI audit, restore).
//
//   const fetcher = openTiles('http://127.0.0.1:7704/tiles');          // or a directory
//   const note = await fetchCheckpointNote(fetcher);                  // verify it, then:
//   const log = new TileLog(fetcher, checkpoint.size);
//   const leaves = await log.entryBundle(0n);                          // and hashTile, proofs, bodies
export { dirFetcher } from './dir-fetcher.js';
export { TilesError, type TilesErrorCode } from './errors.js';
export { checkLayoutPath, type TileFetcher } from './fetcher.js';
export {
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_MAX_SOCKETS,
  type HttpFetcherOptions,
  httpFetcher,
  type TilesTls,
} from './http-fetcher.js';
export { openTiles } from './open.js';
export {
  fetchCheckpointNote,
  foldHashes,
  MAX_BODY_BYTES,
  MAX_BUNDLE_BYTES,
  MAX_CHECKPOINT_BYTES,
  MAX_HASH_TILE_BYTES,
  TileLog,
} from './tile-log.js';

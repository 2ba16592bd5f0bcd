// The static tlog-tiles read path (DESIGN 10), mounted at /tiles/ on the read HTTP listener:
// `checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]` and `bodies/<sha256 hex>`, all
// capped at the latest published (cosigned) checkpoint. Any tlog-tiles client reads the log from
// here alone; an HTTP cache or CDN in front carries the load (docs/tiles.md).
//
// Answers: 200 (GET and HEAD alike, HEAD without the body); 304 when If-None-Match names the
// current entity tag; 404 for what does not exist or lies past the checkpoint; 400 for a path that
// is not the canonical spelling of one of the above. Full tiles and bodies never change and are
// cached for a year; the checkpoint and partial tiles for a few seconds.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';
import { parseTilePath, TlogError } from '../../packages/tlog/index.js';
import type { PublishedCheckpoint } from './checkpointer.js';
import { type ReadRoute, sendText } from './read-http.js';
import type { TileBytes, TileReader } from './tile-reader.js';

/** Where the tiles are mounted on the read HTTP listener. */
export const TILES_PREFIX = '/tiles/';
/** Cache-Control of what never changes: full tiles and bodies. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
/** Seconds the checkpoint and partial tiles may be cached: a new checkpoint comes about as often. */
export const SHORT_CACHE_SECONDS = 5;
const SHORT_CACHE = `public, max-age=${SHORT_CACHE_SECONDS}`;

const OCTETS = 'application/octet-stream';
const BODY_PATH_RE = /^bodies\/([0-9a-f]{64})$/;

/** The kind of a request, for the metrics. */
export type TileRequestKind = 'checkpoint' | 'tile' | 'entries' | 'body' | 'other';

export interface TilesDeps {
  reader: TileReader;
  /** The latest published checkpoint, if any yet. */
  published(): PublishedCheckpoint | undefined;
  /** Requests by kind and status code. */
  requests: Counter<'kind' | 'code'>;
}

/** Whether If-None-Match names `etag` (weak comparison, as RFC 9110 asks for this header). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  for (const tag of header.split(',')) {
    const t = tag.trim();
    if ((t.startsWith('W/') ? t.slice(2) : t) === etag) return true;
  }
  return false;
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  found: TileBytes,
  type: string,
  cacheControl: string,
): void {
  res.setHeader('cache-control', cacheControl);
  res.setHeader('etag', found.etag);
  if (matches(req.headers['if-none-match'], found.etag)) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': type, 'content-length': found.bytes.length });
  res.end(found.bytes);
}

/** Errors and absences: never cached, a tile missing now may exist in a second. */
function refuse(res: ServerResponse, status: number, text: string): void {
  res.setHeader('cache-control', 'no-store');
  sendText(res, status, text);
}

export function tilesRoute(d: TilesDeps): ReadRoute {
  const serve = (req: IncomingMessage, res: ServerResponse, path: string): TileRequestKind => {
    const cp = d.published();
    if (path === 'checkpoint') {
      if (cp === undefined) refuse(res, 404, 'no checkpoint published yet\n');
      else {
        // A republished checkpoint has the same size and root but new cosignatures: the whole note
        // makes the tag.
        const bytes = Buffer.from(cp.note, 'utf8');
        const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`;
        answer(req, res, { bytes, etag }, 'text/plain; charset=utf-8', SHORT_CACHE);
      }
      return 'checkpoint';
    }
    const body = BODY_PATH_RE.exec(path);
    if (body !== null) {
      const found = cp === undefined ? undefined : d.reader.body(body[1] ?? '', cp.size);
      if (found === undefined) refuse(res, 404, 'not found\n');
      else answer(req, res, found, 'application/json', IMMUTABLE_CACHE);
      return 'body';
    }
    if (!path.startsWith('tile/')) {
      if (path.startsWith('bodies/')) refuse(res, 400, 'a body path is bodies/<lower-case hex sha256>\n');
      else refuse(res, 404, 'not found\n');
      return 'other';
    }
    let tile: ReturnType<typeof parseTilePath>;
    try {
      tile = parseTilePath(path);
    } catch (err) {
      if (!(err instanceof TlogError)) throw err;
      refuse(res, 400, 'malformed tile path\n');
      return path.startsWith('tile/entries/') ? 'entries' : 'tile';
    }
    const size = cp?.size ?? 0n;
    const found =
      tile.kind === 'entries'
        ? d.reader.entryBundle(tile.index, tile.width, size)
        : d.reader.hashTile(tile.level, tile.index, tile.width, size);
    if (found === undefined) refuse(res, 404, 'no such tile in the published tree\n');
    else answer(req, res, found, OCTETS, tile.width === 256 ? IMMUTABLE_CACHE : SHORT_CACHE);
    return tile.kind === 'entries' ? 'entries' : 'tile';
  };
  return {
    prefix: TILES_PREFIX,
    name: 'tiles',
    handle(req, res, path) {
      const kind = serve(req, res, path);
      d.requests.inc({ kind, code: String(res.statusCode) });
    },
  };
}

// The console over HTTP: `/` and its built files, `/api/...` its JSON data API, `/api/live` a
// Server-Sent Events stream that says when new entries can be read. Mounted on the ledger's read
// listener, it inherits that listener's TLS and client-certificate rules. Read-only: GET and HEAD
// only. Errors answer JSON `{error}` with the console's code mapped to a status here and only here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type Asset, loadAssets } from './assets.js';
import type { ConsoleApi } from './console-api.js';
import { ConsoleError } from './errors.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { tarArchive } from './tar.js';

/** Live streams open at once; more are answered 503 so that idle tabs cannot exhaust the ledger. */
export const MAX_LIVE_STREAMS = 256;
/** How often a live stream looks for newly visible entries (search indexing trails the log). */
export const LIVE_POLL_MS = 500;
/** A comment line this often keeps proxies and the browser from timing the stream out. */
export const LIVE_KEEPALIVE_MS = 15_000;
/** Longest request target accepted. */
export const MAX_URL_CHARS = 10_000;

const STATUS: Record<ConsoleError['code'], number> = {
  BAD_QUERY: 400,
  TOO_LONG: 414,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
};

export interface ConsoleHttpOptions {
  logger: Logger;
  /** Aborts when the ledger closes: live streams end. */
  closing: AbortSignal;
  /** The built browser files (tests may point elsewhere). */
  assetsDir?: string;
  /** Subscribes to published checkpoints; returns an unsubscribe. */
  onCheckpoint: (fn: () => void) => () => void;
}

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => void;

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
  extra = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.length),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), {
    'cache-control': 'no-store',
  });
}

export function consoleHandler(api: ConsoleApi, o: ConsoleHttpOptions): ConsoleHandler {
  const assets: Map<string, Asset> = loadAssets(o.assetsDir);
  if (!assets.has('/'))
    o.logger.warn('console assets not built (npm run build): the console serves its API only');
  let liveStreams = 0;

  const live = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' });
      return void res.end();
    }
    if (liveStreams >= MAX_LIVE_STREAMS) return sendJson(res, 503, { error: 'too many live streams' });
    liveStreams++;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    let last = -1n;
    const tick = () => {
      const size = api.visibleSize();
      if (size !== last) {
        last = size;
        res.write(`event: size\ndata: {"size":"${size}"}\n\n`);
      }
    };
    tick();
    const poll = setInterval(tick, LIVE_POLL_MS);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), LIVE_KEEPALIVE_MS);
    const unsubscribe = o.onCheckpoint(tick);
    const stop = () => {
      clearInterval(poll);
      clearInterval(keepalive);
      unsubscribe();
      o.closing.removeEventListener('abort', stop);
      if (!res.writableEnded) res.end();
      liveStreams--;
    };
    req.once('close', stop);
    o.closing.addEventListener('abort', stop, { once: true });
  };

  const route = (req: IncomingMessage, res: ServerResponse, path: string, search: string) => {
    switch (path) {
      case '/api/trust':
        return sendJson(res, 200, api.trust());
      case '/api/entries':
        return sendJson(res, 200, api.entries(search));
      case '/api/history':
        return sendJson(res, 200, api.history(search));
      case '/api/bundle': {
        const b = api.bundle(search);
        const tar = tarArchive(b.files, Math.floor(Date.now() / 1000));
        return send(res, 200, 'application/x-tar', tar, {
          'content-disposition': `attachment; filename="${b.name}"`,
          'cache-control': 'no-store',
        });
      }
      case '/api/live':
        return live(req, res);
      case '/favicon.ico':
        // Browsers ask for it unprompted; there is none, and a 404 would be noise in their console.
        res.writeHead(204, { ...SECURITY_HEADERS, 'cache-control': 'max-age=86400' });
        return void res.end();
    }
    const asset = assets.get(path);
    if (asset === undefined) return sendJson(res, 404, { error: 'not found' });
    if (search !== '' && path !== '/') return sendJson(res, 400, { error: 'assets take no query' });
    // The bundle's name does not change between builds: revalidate, never serve a stale one.
    send(res, 200, asset.type, asset.data, { 'cache-control': 'no-cache' });
  };

  return (req, res) => {
    const target = req.url ?? '/';
    if (target.length > MAX_URL_CHARS) return sendJson(res, 414, { error: 'request target too long' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'read-only: GET and HEAD only' });
    }
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const search = q < 0 ? '' : target.slice(q + 1);
    try {
      route(req, res, path, search);
    } catch (err) {
      if (res.headersSent) return void res.destroy();
      if (err instanceof ConsoleError) return sendJson(res, STATUS[err.code], { error: err.message });
      o.logger.error({ err: (err as Error).message, path }, 'console request failed');
      sendJson(res, 500, { error: 'internal error' });
    }
  };
}

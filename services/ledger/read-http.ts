// The ledger's read HTTP listener (--http-listen): a small prefix router in front of the read-only
// endpoints that are plain HTTP rather than gRPC (the static tlog-tiles at /tiles/, DESIGN 10).
// TLS and mutual TLS follow the gRPC settings, so both APIs are reached under the same rules.
//
// Obligations:
// - Only GET and HEAD reach a route (405 with `allow` otherwise); a path no route claims is 404; a
//   request with a body, or a path over MAX_PATH_BYTES, is refused before any route sees it.
// - The path a route gets is the raw request path after its prefix, query dropped, never decoded
//   or normalized: a route matches it against its own canonical forms, so `..` or `%2e` reach
//   nothing they should not.
// - A route that throws or rejects answers 500 "internal error" (logged, never its message);
//   nothing a client sends crashes the process.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { TlsFiles } from '../../packages/rpc/index.js';
import { answerClientError } from '../../packages/runtime/index.js';
import { followReadTls } from './read-http-tls.js';

/** Longest request path answered; tile paths are under 100 bytes, a body hash path under 80. */
export const MAX_PATH_BYTES = 1024;
/** A whole request must arrive within this many milliseconds. */
export const READ_REQUEST_TIMEOUT_MS = 10_000;
/** Headers must arrive within this many milliseconds (slow loris). */
export const READ_HEADERS_TIMEOUT_MS = 5_000;
/** Idle keep-alive connections close after this long; HTTP caches keep theirs open. */
export const READ_KEEP_ALIVE_TIMEOUT_MS = 30_000;
/** Largest request head (request line and headers). */
export const READ_MAX_HEADER_BYTES = 16 * 1024;

/** One mounted read endpoint. */
export interface ReadRoute {
  /** Path prefix it serves, starting and ending with '/', e.g. '/tiles/'. */
  prefix: string;
  /** Label of its requests in the metrics. */
  name: string;
  /** Answers one GET or HEAD; `rest` is the raw path after the prefix (see the obligations). */
  handle(req: IncomingMessage, res: ServerResponse, rest: string): void | Promise<void>;
}

export interface ReadHttpOptions {
  /** HOST:PORT, already checked by config.ts. */
  host: string;
  port: number;
  /** The gRPC TLS files: TLS with a certificate, client certificates required with a CA. */
  tls?: TlsFiles;
  routes: readonly ReadRoute[];
  logger: Logger;
  /** Requests by route name ('none' for unrouted) and status code. */
  requests: Counter<'route' | 'code'>;
}

export interface ReadHttpServer {
  /** Base URL, e.g. http://127.0.0.1:7704 (no trailing slash; a wildcard host becomes loopback). */
  url: string;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

/** A short text answer (the body is left out for HEAD by node:http). */
export function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': TEXT, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The route whose prefix is the longest that `path` starts with. */
function routeOf(routes: readonly ReadRoute[], path: string): ReadRoute | undefined {
  let best: ReadRoute | undefined;
  for (const r of routes) {
    if (path.startsWith(r.prefix) && (best === undefined || r.prefix.length > best.prefix.length)) best = r;
  }
  return best;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export async function serveReadHttp(o: ReadHttpOptions): Promise<ReadHttpServer> {
  for (const r of o.routes) {
    if (!r.prefix.startsWith('/') || !r.prefix.endsWith('/')) throw new Error(`bad route prefix ${r.prefix}`);
  }
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const route = path.startsWith('/') ? routeOf(o.routes, path) : undefined;
    res.once('finish', () => o.requests.inc({ route: route?.name ?? 'none', code: String(res.statusCode) }));
    if (Buffer.byteLength(path) > MAX_PATH_BYTES) return sendText(res, 414, 'path too long\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendText(res, 405, 'method not allowed\n');
    }
    if (hasBody(req)) {
      res.setHeader('connection', 'close');
      return sendText(res, 413, 'a read request has no body\n');
    }
    if (route === undefined) {
      res.setHeader('cache-control', 'no-store');
      return sendText(res, 404, 'not found\n');
    }
    const failed = (err: unknown) => {
      o.logger.error({ route: route.name, err: (err as Error).message }, 'read request failed');
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    };
    try {
      const done = route.handle(req, res, path.slice(route.prefix.length));
      if (done !== undefined) done.catch(failed);
    } catch (err) {
      failed(err);
    }
  };

  const serverOptions = {
    requestTimeout: READ_REQUEST_TIMEOUT_MS,
    headersTimeout: READ_HEADERS_TIMEOUT_MS,
    keepAliveTimeout: READ_KEEP_ALIVE_TIMEOUT_MS,
    maxHeaderSize: READ_MAX_HEADER_BYTES,
    // Node checks the timeouts above only this often (30 s by default).
    connectionsCheckingInterval: 1000,
  };
  let server: Server;
  const tls =
    o.tls?.certFile === undefined
      ? undefined
      : followReadTls(o.tls, o.logger, (context) => (server as HttpsServer).setSecureContext(context));
  if (tls === undefined) {
    server = createHttpServer(serverOptions, listener);
  } else {
    server = createHttpsServer(
      {
        ...serverOptions,
        ...tls.current,
        // Like gRPC's mutual TLS: no certificate from the CA, no connection.
        ...(o.tls?.caFile !== undefined ? { requestCert: true, rejectUnauthorized: true } : {}),
      },
      listener,
    );
  }
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    o.requests.inc({ route: 'none', code: answerClientError(err, socket) });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  }).catch((err: unknown) => {
    tls?.stop();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  let host = o.host.includes(':') ? `[${o.host}]` : o.host;
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  if (host === '[::]') host = '[::1]';
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        tls?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

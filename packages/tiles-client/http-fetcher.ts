// Tiles over HTTP(S): node:http with keep-alive agents (fetch() costs several times more per small
// request, and an audit makes thousands), a deadline per request and a cap on every answer.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { TilesError } from './errors.js';
import { checkLayoutPath, type TileFetcher } from './fetcher.js';

/** PEM material for HTTPS: a CA to trust (else the system's), a client certificate for mutual TLS. */
export interface TilesTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface HttpFetcherOptions {
  /** Time limit of one request, headers and body (default DEFAULT_FETCH_TIMEOUT_MS). */
  timeoutMs?: number;
  tls?: TilesTls;
  /** Requests in flight at once per host (default DEFAULT_MAX_SOCKETS). */
  maxSockets?: number;
}

/** One tile is small, but a full entry bundle can be 16 MiB on a slow link. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_SOCKETS = 8;

export function httpFetcher(base: URL, o: HttpFetcherOptions = {}): TileFetcher {
  const secure = base.protocol === 'https:';
  const maxSockets = o.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets, ...(o.tls ?? {}) })
    : new HttpAgent({ keepAlive: true, maxSockets });
  const timeoutMs = o.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const prefix = base.href.endsWith('/') ? base.href : `${base.href}/`;
  let closed = false;
  return {
    location: base.href,
    fetch(path, maxBytes) {
      checkLayoutPath(path);
      if (closed) return Promise.reject(new TilesError('UNREACHABLE', 'fetcher closed', path));
      const url = new URL(path, prefix);
      const send = secure ? httpsRequest : httpRequest;
      return new Promise((resolve, reject) => {
        let settled = false;
        const fail = (err: TilesError) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          req.destroy();
          reject(err);
        };
        const req = send(url, { method: 'GET', agent }, (res: IncomingMessage) => {
          const status = res.statusCode ?? 0;
          if (status === 404) {
            res.resume();
            res.on('end', () => {
              settled = true;
              clearTimeout(timer);
              resolve(undefined);
            });
            return;
          }
          if (status !== 200) {
            res.resume();
            fail(new TilesError('BAD_STATUS', `${url.href}: HTTP ${status}`, path));
            return;
          }
          const declared = Number(res.headers['content-length'] ?? 0);
          if (declared > maxBytes) {
            fail(new TilesError('TOO_LARGE', `${url.href}: ${declared} bytes, more than ${maxBytes}`, path));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes)
              fail(new TilesError('TOO_LARGE', `${url.href}: more than ${maxBytes} bytes`, path));
            else chunks.push(c);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve(new Uint8Array(Buffer.concat(chunks, size)));
          });
          res.on('error', (err) => fail(new TilesError('UNREACHABLE', `${url.href}: ${err.message}`, path)));
        });
        const timer = setTimeout(
          () => fail(new TilesError('TIMEOUT', `${url.href}: no answer within ${timeoutMs} ms`, path)),
          timeoutMs,
        );
        req.on('error', (err) => fail(new TilesError('UNREACHABLE', `${url.href}: ${err.message}`, path)));
        req.end();
      });
    },
    close() {
      closed = true;
      agent.destroy();
    },
  };
}

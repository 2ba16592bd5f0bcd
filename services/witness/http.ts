// The witness's HTTP shell (node:http): routing, body limit, timeouts, status mapping, metrics and
// one structured log line per refusal. Nothing from an error's text reaches the client.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { PeerLogLimit } from '../../packages/runtime/index.js';
import { ADD_CHECKPOINT_PATH, formatTlogSize, TLOG_SIZE_CONTENT_TYPE } from '../../packages/tlog/index.js';
import { WitnessError, type WitnessErrorCode } from './errors.js';
import { GroupCommitter } from './group-commit.js';
import type { WitnessMetrics } from './metrics.js';
import type { Witness } from './witness.js';

/** Largest add-checkpoint body: 63 proof lines and a checkpoint with many signatures fit easily. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** A whole request (headers and body) must arrive within this many milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Headers must arrive within this many milliseconds (slowloris). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 5_000;
/** Idle keep-alive connections are closed after this many milliseconds. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 30_000;

/** Content type of a 409 body (tlog-witness). */
const TEXT = 'text/plain; charset=utf-8';

const STATUS: Record<WitnessErrorCode, number> = {
  MALFORMED: 400,
  BAD_OLD_SIZE: 400,
  UNKNOWN_ORIGIN: 404,
  FORBIDDEN: 403,
  CONFLICT: 409,
  BAD_PROOF: 422,
  TOO_LARGE: 413,
  CONFIG: 500,
};

export interface HttpOptions {
  /** Path prefix before /add-checkpoint, '' or starting with '/' and not ending in it. */
  prefix: string;
  maxBodyBytes: bigint;
  requestTimeoutMs: number;
  /** At most one refusal line per client and reason this often (default DEFAULT_PEER_LOG_INTERVAL_MS). */
  refusalLogIntervalMs?: number;
}

const HASH_PATH_RE = /^\/([0-9a-f]{64})\/checkpoint$/;

function send(res: ServerResponse, status: number, body: string, type = TEXT): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: bigint): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && /^\d{1,20}$/.test(declared) && BigInt(declared) > limit) {
      reject(new WitnessError('TOO_LARGE', 'declared body too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0n;
    req.on('data', (chunk: Buffer) => {
      size += BigInt(chunk.length);
      if (size > limit) {
        req.removeAllListeners('data');
        reject(new WitnessError('TOO_LARGE', 'body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    // A client that goes away mid-body is the client's problem, not a server error.
    req.on('error', () => reject(new WitnessError('MALFORMED', 'request aborted')));
  });
}

export function createWitnessServer(
  witness: Witness,
  opts: HttpOptions,
  logger: Logger,
  metrics: WitnessMetrics,
): Server {
  const addPath = `${opts.prefix}${ADD_CHECKPOINT_PATH}`;
  const committer = new GroupCommitter(witness);
  const refusals = new PeerLogLimit(opts.refusalLogIntervalMs);

  async function addCheckpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const stop = metrics.latency.startTimer();
    let status = 200;
    try {
      const body = await readBody(req, opts.maxBodyBytes);
      const r = await committer.submit(witness.prepare(body));
      if (r instanceof WitnessError) throw r;
      metrics.size.set({ origin: r.checkpoint.origin }, Number(r.checkpoint.size));
      logger.info(
        { origin: r.checkpoint.origin, size: String(r.checkpoint.size), old: String(r.old) },
        'cosigned',
      );
      send(res, 200, r.cosignatures);
    } catch (err) {
      if (!(err instanceof WitnessError)) {
        status = 500;
        logger.error({ err }, 'add-checkpoint failed');
        send(res, 500, 'internal error\n');
        return;
      }
      status = STATUS[err.code];
      // Refusals of a known log may be evidence of misbehaviour: say exactly why, for the operator;
      // at most one line per client and reason an interval, with the count, so a replay flood
      // cannot bury the one refusal that shows a fork.
      const reason = err.message;
      refusals.note(err.code, req.socket.remoteAddress ?? 'unknown', (count, peer) =>
        logger.warn({ status, code: err.code, reason, peer, count }, 'add-checkpoint refused'),
      );
      if (err.code === 'CONFLICT' && err.size !== undefined) {
        send(res, 409, formatTlogSize(err.size), TLOG_SIZE_CONTENT_TYPE);
      } else {
        if (err.code === 'TOO_LARGE') res.setHeader('connection', 'close');
        send(res, status, `${err.code}\n`);
      }
    } finally {
      metrics.requests.inc({ status: String(status) });
      stop({ status: String(status) });
    }
  }

  // Node checks request timeouts only this often; the default (30 s) would let a slow client linger.
  const checkEvery = Math.max(100, Math.min(1000, Math.floor(opts.requestTimeoutMs / 2)));
  const server = createServer({ connectionsCheckingInterval: checkEvery }, (req, res) => {
    const url = req.url ?? '';
    const path = url.split('?', 1)[0] ?? '';
    if (path === addPath) {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        send(res, 405, 'method not allowed\n');
        return;
      }
      void addCheckpoint(req, res);
      return;
    }
    if (path.startsWith(`${opts.prefix}/`)) {
      const m = HASH_PATH_RE.exec(path.slice(opts.prefix.length));
      if (m !== null) {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.setHeader('allow', 'GET, HEAD');
          send(res, 405, 'method not allowed\n');
          return;
        }
        const note = witness.latest(m[1] ?? '');
        if (note === undefined) send(res, 404, 'not found\n');
        else send(res, 200, note);
        return;
      }
    }
    send(res, 404, 'not found\n');
  });
  server.requestTimeout = opts.requestTimeoutMs;
  server.headersTimeout = Math.min(DEFAULT_HEADERS_TIMEOUT_MS, opts.requestTimeoutMs);
  server.keepAliveTimeout = DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  return server;
}

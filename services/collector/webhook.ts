// The kube-apiserver audit webhook: POST of an audit Event or EventList (batch mode sends up to 400
// events), or NDJSON of them from a log forwarder. Answers (DESIGN 3.2): 400 not audit data (or an
// encoding other than gzip), 401 no valid credentials, 413 too large, 503 could not store in time,
// 200 once every change is durably published. The same listener serves the managed-cluster sources
// under /sources/ (webhook-routes.ts), each with its sender's authentication and answer shape.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { createGunzip } from 'node:zlib';
import { answerClientError, type Logger } from '../../packages/runtime/index.js';
import { Admission } from './admission.js';
import { FORMAT_SOURCE } from './body-format.js';
import type { HostPort, TlsFiles } from './config.js';
import { CollectorError, type CollectorErrorCode } from './errors.js';
import type { CollectorMetrics } from './metrics.js';
import type { PreparePool } from './prepare-pool.js';
import type { ChangePublisher } from './publisher.js';
import { FIREHOSE_REQUEST_ID_HEADER, firehoseRequestId } from './source-firehose.js';
import { followOidc, type OidcOptions } from './source-oidc.js';
import { WebhookRefusals } from './webhook-refusals.js';
import { answerBody, type Route, refusal, routeOf } from './webhook-routes.js';
import { followTls, followToken } from './webhook-secrets.js';

export interface WebhookOptions {
  listen: HostPort;
  /** Accepted bearer token, if any. */
  token: string | undefined;
  /** The file the token was read from: followed, so that a rotated token needs no restart. */
  tokenFile?: string;
  /** TLS files, followed the same way. */
  tls: TlsFiles | undefined;
  /** How often the token and TLS files are read again (default: packages/file-watch's). */
  reloadIntervalMs?: number;
  /** Refused requests are logged at most once per peer this often (default DEFAULT_PEER_LOG_INTERVAL_MS). */
  peerLogIntervalMs?: number;
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  publishDeadlineMs: number;
  /** Back-pressure: bounds the memory that bodies being read or published can hold. */
  maxInFlight?: number;
  /** Requests that may wait for one of those slots (default DEFAULT_MAX_WAITING). */
  maxWaiting?: number;
  /** How long one may wait (default DEFAULT_IN_FLIGHT_WAIT_MS). */
  inFlightWaitMs?: number;
  publisher: ChangePublisher;
  /** Prepares bodies (parse, classify, sign) off the main thread. */
  pool: Pick<PreparePool, 'prepare'>;
  metrics: CollectorMetrics;
  logger: Logger;
  /** Accept Pub/Sub push OIDC tokens on /sources/gke-pubsub (besides the webhook token). */
  pubsubOidc?: Omit<OidcOptions, 'logger' | 'intervalMs'>;
}

export interface RunningWebhook {
  url: string;
  close(): Promise<void>;
}

const STATUS: Record<CollectorErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  METHOD: 405,
  NOT_FOUND: 404,
  TIMEOUT: 408,
  TOO_LARGE: 413,
  // DESIGN 3.2 (binding) has no 415: an encoding we cannot read is a bad request.
  UNSUPPORTED_MEDIA: 400,
  UNAVAILABLE: 503,
  CONFIG: 500,
};

/** Most requests read or published at once; more wait for a slot (admission.ts). */
export const DEFAULT_MAX_IN_FLIGHT = 16;
/**
 * Most requests waiting for a slot; more are answered 503 at once (the apiserver retries). A waiting
 * request costs its connection and what of its body the socket buffered, not a parsed batch: enough
 * for several seconds of an apiserver sending batches as fast as its throttle allows.
 */
export const DEFAULT_MAX_WAITING = 16 * DEFAULT_MAX_IN_FLIGHT;
/**
 * How long a request waits for a slot before it is answered 503: longer than a JetStream stream
 * takes to elect a new leader (a few seconds), well inside the request timeout and publish deadline.
 */
export const DEFAULT_IN_FLIGHT_WAIT_MS = 10_000;
/** How long a connection whose request was not read to its end stays open after the answer. */
const UNREAD_LINGER_MS = 1000;
/** Node checks header and request timeouts this often (its default, 30 s, is too coarse). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

export async function startWebhook(o: WebhookOptions): Promise<RunningWebhook> {
  const follow = {
    logger: o.logger,
    ...(o.reloadIntervalMs !== undefined ? { intervalMs: o.reloadIntervalMs } : {}),
  };
  // The OIDC keys first: a keys file that cannot serve fails the start before anything is followed.
  const oidc = o.pubsubOidc === undefined ? undefined : followOidc({ ...o.pubsubOidc, ...follow });
  const token = o.token === undefined ? undefined : followToken(o.token, o.tokenFile, follow);
  const credentials = { token, clientCa: o.tls?.clientCaFile !== undefined, oidc };
  const refusals = new WebhookRefusals(o.logger, o.peerLogIntervalMs);

  const admission = new Admission({
    slots: o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    maxWaiting: o.maxWaiting ?? DEFAULT_MAX_WAITING,
    maxWaitMs: o.inFlightWaitMs ?? DEFAULT_IN_FLIGHT_WAIT_MS,
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    let counted = false;
    const deadline = Date.now() + o.publishDeadlineMs;
    let route: Route | undefined;
    const answer = (status: number, body: object, errorMessage?: string) => {
      const labels = { code: String(status) };
      o.metrics.webhookRequests.inc(labels);
      o.metrics.webhookLatency.observe(labels, (performance.now() - started) / 1000);
      if (res.headersSent) return;
      if (!req.complete) {
        // Closing with unread bytes would reset the connection and the client could lose the
        // answer; so read on and discard while it goes out, and close it if the body never ends.
        req.removeAllListeners('data');
        req.unpipe();
        req.resume();
        res.once('finish', () =>
          setTimeout(() => {
            // A request that ended meanwhile leaves a connection the client may reuse.
            if (!req.complete) req.socket.destroy();
          }, UNREAD_LINGER_MS).unref(),
        );
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(answerBody(req, route, status, body, errorMessage));
    };
    try {
      if (req.method === 'GET' && req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      }
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        throw new CollectorError('METHOD', 'only POST');
      }
      route = routeOf(req);
      if (route === undefined) throw new CollectorError('NOT_FOUND', 'no such source');
      const why = refusal(req, route, credentials);
      if (why !== undefined) {
        refusals.unauthorized(req);
        o.logger.debug({ route: route.name, why }, 'webhook request not authenticated');
        if (route.name !== 'eks-firehose') res.setHeader('www-authenticate', 'Bearer');
        throw new CollectorError('UNAUTHORIZED', 'no valid credentials');
      }
      if (
        route.name === 'eks-firehose' &&
        firehoseRequestId(req.headers[FIREHOSE_REQUEST_ID_HEADER]) === undefined
      ) {
        throw new CollectorError('BAD_REQUEST', 'X-Amz-Firehose-Request-Id is missing or malformed');
      }
      // The route and the body decide, not the body's label (only NDJSON is told by its label):
      // DESIGN 3.2 answers anything that is not audit data with 400, whatever its Content-Type.
      const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (encoding !== 'identity' && encoding !== 'gzip') {
        throw new CollectorError('UNSUPPORTED_MEDIA', 'content-encoding must be gzip or identity');
      }
      if (!(await admission.acquire())) {
        res.setHeader('retry-after', '1');
        throw new CollectorError('UNAVAILABLE', 'too many requests in flight');
      }
      counted = true;
      // The sender may have gone while it waited: its body will never come.
      if (req.destroyed) throw new CollectorError('BAD_REQUEST', 'request aborted');
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) > o.maxBodyBytes) {
        throw new CollectorError('TOO_LARGE', 'body over the limit');
      }
      const body = await readBody(req, encoding === 'gzip', o.maxBodyBytes);
      // Decoding, parsing and signing happen on the pool's threads; this one publishes as they go.
      const format = route.format;
      const result = await o.publisher.publishPrepared(FORMAT_SOURCE[format], deadline, (sink, observedAt) =>
        o.pool.prepare(body, observedAt, sink, format),
      );
      answer(200, result);
    } catch (err) {
      if (err instanceof CollectorError) {
        if (err.code === 'TOO_LARGE') refusals.tooLarge(req, o.maxBodyBytes);
        // What was wrong with the input is the sender's to know (a count, a limit); nothing else is.
        answer(
          STATUS[err.code],
          err.code === 'BAD_REQUEST' ? { error: err.code, message: err.message } : { error: err.code },
        );
      } else {
        o.logger.error({ err: (err as Error).message }, 'webhook request failed');
        answer(500, { error: 'INTERNAL' }, 'internal error');
      }
    } finally {
      if (counted) admission.release();
    }
  };

  const serverOptions = {
    headersTimeout: o.headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  };
  // New connections get a renewed certificate; those open keep the one they shook hands with.
  let server: Server;
  const tls =
    o.tls === undefined
      ? undefined
      : followTls(
          o.tls,
          (context: SecureContextOptions) => (server as HttpsServer).setSecureContext(context),
          follow,
        );
  const stopFollowing = () => {
    token?.stop();
    oidc?.stop();
    tls?.stop();
  };
  if (o.tls === undefined || tls === undefined) {
    server = createHttpServer(serverOptions, listener);
  } else {
    server = createHttpsServer(
      {
        ...serverOptions,
        ...tls.current,
        ...(o.tls.clientCaFile !== undefined ? { requestCert: true, rejectUnauthorized: false } : {}),
      },
      listener,
    );
  }
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Node reports a client too slow with its headers or body (slow loris) as a client error too.
    o.metrics.webhookRequests.inc({ code: answerClientError(err, socket) });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => resolve());
  }).catch((err: unknown) => {
    stopFollowing();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.listen.host.includes(':') ? `[${o.listen.host}]` : o.listen.host;
  return {
    url: `${o.tls === undefined ? 'http' : 'https'}://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        stopFollowing();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Reads the body, gunzipping when asked; stops at limit bytes (before and after decompression). The
 * bytes own their ArrayBuffer, so they can move to a worker thread without a copy.
 */
function readBody(req: IncomingMessage, gzip: boolean, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let size = 0;
    let done = false;
    const fail = (err: CollectorError) => {
      if (done) return;
      done = true;
      source?.destroy();
      reject(err);
    };
    const source = gzip ? createGunzip() : undefined;
    const sink = source ?? req;
    req.on('data', (c: Buffer) => {
      raw += c.length;
      if (raw > limit) fail(new CollectorError('TOO_LARGE', 'body over the limit'));
    });
    req.on('error', () => fail(new CollectorError('BAD_REQUEST', 'request aborted')));
    // A request that ended before it was read (its sender left while it waited for a slot).
    if (req.destroyed) fail(new CollectorError('BAD_REQUEST', 'request aborted'));
    if (source !== undefined) {
      req.pipe(source);
      source.on('error', () => fail(new CollectorError('BAD_REQUEST', 'body is not valid gzip')));
    }
    sink.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        fail(new CollectorError('TOO_LARGE', 'body over the limit'));
        return;
      }
      chunks.push(c);
    });
    sink.on('end', () => {
      if (done) return;
      done = true;
      // Not from Node's shared pool (it must be free to move) and not zero-filled (it is overwritten).
      const body = Buffer.allocUnsafeSlow(size);
      let at = 0;
      for (const c of chunks) {
        body.set(c, at);
        at += c.length;
      }
      resolve(body);
    });
  });
}

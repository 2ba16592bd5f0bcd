// The webhook listener's routes (DESIGN 13): the audit webhook on any path outside /sources/, and
// one route per managed-cluster source. A route fixes the body's format (so its `source`), how the
// sender authenticates, and the shape of the answer the sender understands.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { BodyFormat } from './body-format.js';
import {
  FIREHOSE_ACCESS_KEY_HEADER,
  FIREHOSE_REQUEST_ID_HEADER,
  firehoseAnswer,
  firehoseRequestId,
} from './source-firehose.js';
import type { OidcCheck, OidcRefusal } from './source-oidc.js';
import type { TokenCheck } from './webhook-secrets.js';

export const SOURCES_PREFIX = '/sources/';

/** Content types of NDJSON that log forwarders send (Fluent Bit, Vector, Logstash). */
const NDJSON_TYPES = [
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
];

export type RouteName = 'audit' | 'eks-firehose' | 'gke-pubsub' | 'aks-eventhubs';

export interface Route {
  name: RouteName;
  format: BodyFormat;
}

/** The route of a request, or undefined (404) for an unknown /sources/ path or an unparsable URL. */
export function routeOf(req: IncomingMessage): Route | undefined {
  let path: string;
  try {
    path = new URL(req.url ?? '/', 'http://webhook.invalid').pathname;
  } catch {
    return undefined;
  }
  if (!path.startsWith(SOURCES_PREFIX)) {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    return { name: 'audit', format: NDJSON_TYPES.includes(type) ? 'ndjson' : 'audit' };
  }
  const name = path.slice(SOURCES_PREFIX.length).replace(/\/$/, '');
  if (name === 'eks-firehose' || name === 'gke-pubsub' || name === 'aks-eventhubs')
    return { name, format: name };
  return undefined;
}

export interface RouteCredentials {
  token: TokenCheck | undefined;
  /** A client certificate from the configured CA authenticates on every route but Firehose's. */
  clientCa: boolean;
  oidc: OidcCheck | undefined;
}

/** Why a request is not authenticated, for the log; undefined when it is. */
export function refusal(req: IncomingMessage, route: Route, c: RouteCredentials): string | undefined {
  const bearer = (): string | undefined => {
    const auth = req.headers.authorization;
    return auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : undefined;
  };
  const tokenMatches = (t: string | undefined): boolean => t !== undefined && c.token?.matches(t) === true;
  if (route.name === 'eks-firehose') {
    const key = req.headers[FIREHOSE_ACCESS_KEY_HEADER];
    return typeof key === 'string' && tokenMatches(key) ? undefined : 'access key';
  }
  if (c.clientCa && (req.socket as TLSSocket).authorized === true) return undefined;
  const presented = bearer();
  if (tokenMatches(presented)) return undefined;
  if (route.name !== 'gke-pubsub') return 'bearer token';
  // A test setup's push endpoint carries the token in its URL.
  const query = new URL(req.url ?? '/', 'http://webhook.invalid').searchParams.get('token');
  if (query !== null && tokenMatches(query)) return undefined;
  if (c.oidc !== undefined && presented !== undefined) {
    const r: true | OidcRefusal = c.oidc.check(presented);
    return r === true ? undefined : `oidc ${r}`;
  }
  return 'bearer token';
}

/**
 * The answer to send: Firehose expects `{requestId, timestamp[, errorMessage]}` on every status;
 * the other routes get the batch result, or `{error: CODE}`.
 */
export function answerBody(
  req: IncomingMessage,
  route: Route | undefined,
  status: number,
  result: object,
  errorMessage?: string,
): string {
  if (route?.name !== 'eks-firehose') return JSON.stringify(result);
  const id = firehoseRequestId(req.headers[FIREHOSE_REQUEST_ID_HEADER]) ?? '';
  return firehoseAnswer(id, status === 200 ? undefined : (errorMessage ?? 'refused'));
}

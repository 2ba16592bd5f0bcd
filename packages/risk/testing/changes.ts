// Test support: change objects around real manifests, as a collector would record them. Used by the
// risk unit tests and the search index tests; not part of any service.
import { parseAllDocuments } from 'yaml';
import { type Action, CHANGE_SCHEMA, type Change, type UserInfo, type Verb } from '../../change/index.js';
import { isObject } from '../types.js';

const RESOURCES: Record<string, string> = {
  Ingress: 'ingresses',
  IngressClass: 'ingressclasses',
  Gateway: 'gateways',
  GatewayClass: 'gatewayclasses',
  HTTPRoute: 'httproutes',
  GRPCRoute: 'grpcroutes',
  TLSRoute: 'tlsroutes',
  ReferenceGrant: 'referencegrants',
};
const CLUSTER_SCOPED = ['IngressClass', 'GatewayClass'];

/** The Ingress-family objects of a multi-document YAML text (other kinds are dropped). */
export function manifestsOf(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter(
      (o): o is Record<string, unknown> => isObject(o) && typeof o.kind === 'string' && o.kind in RESOURCES,
    );
}

export interface ChangeSpec {
  /** The object the change is about (response for a success, request otherwise). */
  object: unknown;
  verb?: Verb;
  action?: Action;
  responseCode?: number;
  request?: unknown;
  /** Defaults to `object` for a success, null otherwise. */
  response?: unknown;
  user?: UserInfo;
  impersonatedUser?: UserInfo;
  sourceIPs?: string[];
  cluster?: string;
  auditID?: string;
  stageTimestamp?: string;
  reason?: string | null;
}

let counter = 0;

/** A change as the collector would record it for `spec.object`. */
export function changeOf(spec: ChangeSpec): Change {
  const o = (isObject(spec.object) ? spec.object : {}) as Record<string, unknown>;
  const meta = (isObject(o.metadata) ? o.metadata : {}) as Record<string, unknown>;
  const kind = typeof o.kind === 'string' ? o.kind : 'Ingress';
  const [group = '', version = 'v1'] = String(o.apiVersion ?? 'networking.k8s.io/v1').split('/');
  const verb = spec.verb ?? 'create';
  const code = spec.responseCode ?? (verb === 'create' ? 201 : 200);
  const ok = code >= 200 && code < 300;
  const namespace = CLUSTER_SCOPED.includes(kind)
    ? ''
    : typeof meta.namespace === 'string'
      ? meta.namespace
      : 'default';
  const stored = ok
    ? {
        ...o,
        metadata: {
          ...meta,
          ...(namespace ? { namespace } : {}),
          uid: meta.uid ?? `uid-${String(meta.name)}`,
        },
      }
    : null;
  counter += 1;
  const change: Change = {
    schema: CHANGE_SCHEMA,
    cluster: spec.cluster ?? 'c1',
    auditID: spec.auditID ?? `audit-${counter}`,
    verb,
    action: spec.action ?? (verb === 'patch' ? 'update' : verb === 'deletecollection' ? 'delete' : verb),
    object: {
      group,
      version,
      resource: RESOURCES[kind] ?? 'ingresses',
      namespace,
      name: typeof meta.name === 'string' ? meta.name : '',
      uid: typeof meta.uid === 'string' ? meta.uid : `uid-${String(meta.name)}`,
      resourceVersion: String(counter),
    },
    user: spec.user ?? { username: 'alice@example.com', groups: ['system:authenticated'] },
    sourceIPs: spec.sourceIPs ?? ['10.0.0.7'],
    userAgent: 'kubectl/v1.31.0',
    requestReceivedTimestamp: spec.stageTimestamp ?? '2026-11-26T10:00:00.000000Z',
    stageTimestamp: spec.stageTimestamp ?? '2026-11-26T10:00:00.000100Z',
    responseCode: code,
    reason: spec.reason ?? null,
    request: spec.request !== undefined ? spec.request : verb === 'delete' ? null : o,
    response: spec.response !== undefined ? spec.response : stored,
    source: 'audit-webhook',
    observedAt: '2026-11-26T10:00:01.000000Z',
  };
  if (spec.impersonatedUser !== undefined) change.impersonatedUser = spec.impersonatedUser;
  return change;
}

/** A deep copy with `edit` applied: the next version of an object. */
// biome-ignore lint/suspicious/noExplicitAny: tests reach into arbitrary manifest shapes
export function edited<T>(o: T, edit: (copy: any) => void): T {
  const copy = structuredClone(o);
  edit(copy);
  return copy;
}

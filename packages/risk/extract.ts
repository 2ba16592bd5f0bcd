// What a stored Ingress-family object exposes, read defensively: objects come from audit events
// and may have any shape, so every accessor tolerates missing or mistyped fields.
import { isObject, type JsonObject } from './types.js';

/** The host name a catch-all (host-less) rule or a default backend serves. */
export const CATCH_ALL = '*';

function obj(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export const kindOf = (o: unknown): string => str(obj(o).kind) ?? '';
export const specOf = (o: unknown): JsonObject => obj(obj(o).spec);
export const namespaceOf = (o: unknown): string => str(obj(obj(o).metadata).namespace) ?? '';

/** The string-valued annotations of an object. */
export function annotationsOf(o: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const ann = obj(obj(obj(o).metadata).annotations);
  for (const [k, v] of Object.entries(ann)) if (typeof v === 'string') out.set(k, v);
  return out;
}

export interface HostRef {
  host: string;
  /** Pointer tokens to where the host is declared. */
  at: (string | number)[];
}

/**
 * The hosts an object serves: Ingress rule hosts (a rule without host, or a default backend, is the
 * catch-all), HTTPRoute/GRPCRoute/TLSRoute hostnames (none: catch-all), Gateway listener hostnames
 * (none: catch-all).
 */
export function hostsOf(o: unknown): HostRef[] {
  const spec = specOf(o);
  const kind = kindOf(o);
  const out: HostRef[] = [];
  if (kind === 'Ingress' || (kind === '' && 'rules' in spec && !('parentRefs' in spec))) {
    arr(spec.rules).forEach((r, i) => {
      const h = str(obj(r).host);
      out.push(
        h
          ? { host: h.toLowerCase(), at: ['spec', 'rules', i, 'host'] }
          : { host: CATCH_ALL, at: ['spec', 'rules', i] },
      );
    });
    if (isObject(spec.defaultBackend) || isObject(spec.backend)) {
      out.push({
        host: CATCH_ALL,
        at: ['spec', isObject(spec.defaultBackend) ? 'defaultBackend' : 'backend'],
      });
    }
    return out;
  }
  if (kind === 'Gateway') {
    arr(spec.listeners).forEach((l, i) => {
      const h = str(obj(l).hostname);
      out.push(
        h
          ? { host: h.toLowerCase(), at: ['spec', 'listeners', i, 'hostname'] }
          : { host: CATCH_ALL, at: ['spec', 'listeners', i] },
      );
    });
    return out;
  }
  if (kind.endsWith('Route')) {
    const names = arr(spec.hostnames);
    names.forEach((h, i) => {
      if (typeof h === 'string' && h !== '')
        out.push({ host: h.toLowerCase(), at: ['spec', 'hostnames', i] });
    });
    if (out.length === 0) out.push({ host: CATCH_ALL, at: ['spec'] });
  }
  return out;
}

export interface TlsRef {
  host: string;
  secretName: string;
  at: (string | number)[];
}

/** Each (host, secret) pair of an Ingress `spec.tls` (a TLS entry without hosts covers the catch-all). */
export function tlsOf(o: unknown): TlsRef[] {
  const out: TlsRef[] = [];
  arr(specOf(o).tls).forEach((t, i) => {
    const secretName = str(obj(t).secretName) ?? '';
    const hosts = arr(obj(t).hosts).filter((h): h is string => typeof h === 'string');
    if (hosts.length === 0) out.push({ host: CATCH_ALL, secretName, at: ['spec', 'tls', i] });
    hosts.forEach((h, j) => {
      out.push({ host: h.toLowerCase(), secretName, at: ['spec', 'tls', i, 'hosts', j] });
    });
  });
  return out;
}

/** TLS secret names an object references: Ingress `spec.tls[].secretName`, Gateway listener certificateRefs. */
export function tlsSecretsOf(o: unknown): string[] {
  const out = new Set<string>();
  for (const t of tlsOf(o)) if (t.secretName) out.add(t.secretName);
  for (const l of arr(specOf(o).listeners)) {
    for (const ref of arr(obj(obj(l).tls).certificateRefs)) {
      const n = str(obj(ref).name);
      if (n) out.add(n);
    }
  }
  return [...out];
}

export interface BackendRef {
  /** `service:<name>`, `resource:<kind>/<name>` or, for Gateway routes, `<kind>:<namespace>/<name>`. */
  id: string;
  /** The namespace a route's backendRef names, when it names one. */
  namespace?: string;
  at: (string | number)[];
}

/** The backends an Ingress or route sends traffic to. */
export function backendsOf(o: unknown): BackendRef[] {
  const spec = specOf(o);
  const out: BackendRef[] = [];
  const ingressBackend = (b: unknown, at: (string | number)[]) => {
    const svc = obj(obj(b).service);
    const name = str(svc.name) ?? str(obj(b).serviceName);
    if (name) out.push({ id: `service:${name}`, at });
    const res = obj(obj(b).resource);
    if (str(res.name))
      out.push({ id: `resource:${str(res.kind) ?? ''}/${str(res.name)}`, at: [...at, 'resource'] });
  };
  if (isObject(spec.defaultBackend)) ingressBackend(spec.defaultBackend, ['spec', 'defaultBackend']);
  if (isObject(spec.backend)) ingressBackend(spec.backend, ['spec', 'backend']);
  arr(spec.rules).forEach((r, i) => {
    arr(obj(obj(r).http).paths).forEach((p, j) => {
      ingressBackend(obj(p).backend, ['spec', 'rules', i, 'http', 'paths', j, 'backend']);
    });
    arr(obj(r).backendRefs).forEach((b, j) => {
      const ref = obj(b);
      const name = str(ref.name);
      if (!name) return;
      const ns = str(ref.namespace);
      const id = `${str(ref.kind) ?? 'Service'}:${ns ?? ''}/${name}`;
      out.push(
        ns
          ? { id, namespace: ns, at: ['spec', 'rules', i, 'backendRefs', j] }
          : { id, at: ['spec', 'rules', i, 'backendRefs', j] },
      );
    });
  });
  return out;
}

// Rules about what an object serves and where it sends traffic (DESIGN 5.1: tls-removed,
// host-exposed, backend-changed, ingress-class-changed, gateway-exposure). Each reports only what
// the change introduced: a condition already present in the previous version is not a new finding.
import type { RiskConfig } from './config.js';
import {
  annotationsOf,
  backendsOf,
  CATCH_ALL,
  hostsOf,
  kindOf,
  namespaceOf,
  specOf,
  tlsOf,
} from './extract.js';
import type { Hit, RuleInput } from './rule.js';
import { isObject, pointer } from './types.js';

const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
/** Annotations that re-point traffic without touching spec. */
export const BACKEND_ANNOTATIONS = [
  'default-backend',
  'upstream-vhost',
  'backend-protocol',
  'service-upstream',
];
const SSL_REDIRECT_ANNOTATIONS = ['ssl-redirect', 'force-ssl-redirect'];
const TLS_PROTOCOLS = ['HTTPS', 'TLS'];

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function tlsRemoved(input: RuleInput, cfg: RiskConfig): Hit[] {
  const { before, after, change } = input;
  if (before === null || after === null || change.action !== 'update') return [];
  const hits: Hit[] = [];
  const now = new Map(tlsOf(after).map((t) => [t.host, t]));
  for (const t of tlsOf(before)) {
    const n = now.get(t.host);
    if (n === undefined) hits.push({ message: `TLS for host ${t.host} removed`, path: pointer(...t.at) });
    else if (n.secretName !== t.secretName) {
      hits.push({
        message: `TLS secret for host ${t.host} changed from ${t.secretName} to ${n.secretName}`,
        path: pointer(...n.at.slice(0, 3), 'secretName'),
      });
    }
  }
  const ab = annotationsOf(before);
  const aa = annotationsOf(after);
  for (const prefix of cfg.annotationPrefixes) {
    for (const name of SSL_REDIRECT_ANNOTATIONS) {
      const key = prefix + name;
      if (ab.get(key) === 'true' && aa.get(key) !== 'true') {
        hits.push({ message: `${key} turned off`, path: pointer('metadata', 'annotations', key) });
      }
    }
  }
  const listeners = new Map(
    arr(specOf(after).listeners).map((l, i) => [str((l as { name?: unknown }).name), { l, i }]),
  );
  arr(specOf(before).listeners).forEach((l, i) => {
    if (!isObject(l) || !TLS_PROTOCOLS.includes(str(l.protocol) ?? '')) return;
    const n = listeners.get(str(l.name));
    if (n === undefined)
      hits.push({ message: `TLS listener ${str(l.name)} removed`, path: pointer('spec', 'listeners', i) });
    else if (!isObject(n.l) || !TLS_PROTOCOLS.includes(str(n.l.protocol) ?? '')) {
      hits.push({
        message: `listener ${str(l.name)} no longer uses TLS`,
        path: pointer('spec', 'listeners', n.i, 'protocol'),
      });
    }
  });
  return hits;
}

export function hostExposed(input: RuleInput): Hit[] {
  if (input.after === null) return [];
  const served = new Set(input.before === null ? [] : hostsOf(input.before).map((h) => h.host));
  const hits: Hit[] = [];
  const seen = new Set<string>();
  for (const h of hostsOf(input.after)) {
    if (served.has(h.host) || seen.has(h.host)) continue;
    seen.add(h.host);
    if (h.host === CATCH_ALL)
      hits.push({ message: 'catch-all rule (no host) exposed', path: pointer(...h.at), severity: 'high' });
    else if (h.host.startsWith('*'))
      hits.push({ message: `wildcard host ${h.host} exposed`, path: pointer(...h.at), severity: 'high' });
    else hits.push({ message: `new host ${h.host} exposed`, path: pointer(...h.at) });
  }
  return hits;
}

export function backendChanged(input: RuleInput, cfg: RiskConfig): Hit[] {
  const { before, after, change } = input;
  if (after === null) return [];
  const hits: Hit[] = [];
  const ns = namespaceOf(after) || change.object.namespace;
  const old = new Set(before === null ? [] : backendsOf(before).map((b) => b.id));
  for (const b of backendsOf(after)) {
    if (old.has(b.id)) continue;
    if (b.namespace !== undefined && b.namespace !== ns) {
      hits.push({ message: `backend ${b.id} is in another namespace`, path: pointer(...b.at) });
    } else if (b.id.startsWith('resource:')) {
      hits.push({ message: `backend is a non-Service resource ${b.id.slice(9)}`, path: pointer(...b.at) });
    } else if (before !== null) {
      hits.push({ message: `traffic now sent to ${b.id}`, path: pointer(...b.at) });
    }
    old.add(b.id);
  }
  const ab = annotationsOf(before);
  const aa = annotationsOf(after);
  for (const prefix of cfg.annotationPrefixes) {
    for (const name of BACKEND_ANNOTATIONS) {
      const key = prefix + name;
      if (ab.get(key) !== aa.get(key) && (before !== null || aa.has(key))) {
        hits.push({ message: `${key} changed`, path: pointer('metadata', 'annotations', key) });
      }
    }
  }
  return hits;
}

export function ingressClassChanged(input: RuleInput): Hit[] {
  const { before, after } = input;
  if (after === null) return [];
  const hits: Hit[] = [];
  if (kindOf(after) === 'IngressClass') {
    const was = annotationsOf(before).get(DEFAULT_CLASS_ANNOTATION) === 'true';
    const is = annotationsOf(after).get(DEFAULT_CLASS_ANNOTATION) === 'true';
    if (was !== is) {
      hits.push({
        message: is ? 'IngressClass became the default class' : 'IngressClass is no longer the default class',
        path: pointer('metadata', 'annotations', DEFAULT_CLASS_ANNOTATION),
      });
    }
    return hits;
  }
  if (before === null) return hits;
  const cls = (o: unknown) => str(specOf(o).ingressClassName);
  if (cls(before) !== cls(after)) {
    hits.push({
      message: `ingressClassName changed from ${cls(before)} to ${cls(after)}`,
      path: pointer('spec', 'ingressClassName'),
    });
  }
  const legacy = (o: unknown) => annotationsOf(o).get(LEGACY_CLASS_ANNOTATION);
  if (legacy(before) !== legacy(after)) {
    hits.push({
      message: `${LEGACY_CLASS_ANNOTATION} changed`,
      path: pointer('metadata', 'annotations', LEGACY_CLASS_ANNOTATION),
    });
  }
  const gwc = (o: unknown) => str(specOf(o).gatewayClassName);
  if (gwc(before) !== gwc(after)) {
    hits.push({
      message: `gatewayClassName changed from ${gwc(before)} to ${gwc(after)}`,
      path: pointer('spec', 'gatewayClassName'),
    });
  }
  return hits;
}

/** Exposure conditions of a Gateway API object, keyed so a previous version's can be subtracted. */
function gatewayConditions(o: unknown, ns: string): Map<string, Hit> {
  const out = new Map<string, Hit>();
  const spec = specOf(o);
  arr(spec.listeners).forEach((l, i) => {
    if (!isObject(l) || !isObject(l.allowedRoutes) || !isObject(l.allowedRoutes.namespaces)) return;
    if (l.allowedRoutes.namespaces.from === 'All') {
      out.set(`all:${str(l.name)}`, {
        message: `listener ${str(l.name)} accepts routes from all namespaces`,
        path: pointer('spec', 'listeners', i, 'allowedRoutes', 'namespaces', 'from'),
      });
    }
  });
  arr(spec.parentRefs).forEach((p, i) => {
    const pns = isObject(p) ? str(p.namespace) : undefined;
    if (pns !== undefined && pns !== ns) {
      out.set(`parent:${pns}/${str((p as { name?: unknown }).name)}`, {
        message: `route attaches to ${pns}/${str((p as { name?: unknown }).name)} in another namespace`,
        path: pointer('spec', 'parentRefs', i, 'namespace'),
      });
    }
  });
  const hostnames = new Set(
    arr(spec.hostnames)
      .filter((h): h is string => typeof h === 'string')
      .map((h) => h.toLowerCase()),
  );
  const filters = (fs: unknown, at: (string | number)[]) => {
    arr(fs).forEach((f, k) => {
      if (!isObject(f)) return;
      const redirect = isObject(f.requestRedirect) ? str(f.requestRedirect.hostname) : undefined;
      if (redirect !== undefined && !hostnames.has(redirect.toLowerCase())) {
        out.set(`redirect:${redirect}`, {
          message: `redirect to outside host ${redirect}`,
          path: pointer(...at, k, 'requestRedirect', 'hostname'),
        });
      }
      const mirror =
        isObject(f.requestMirror) && isObject(f.requestMirror.backendRef)
          ? f.requestMirror.backendRef
          : undefined;
      const mns = mirror ? str(mirror.namespace) : undefined;
      if (mirror && ((mns !== undefined && mns !== ns) || (str(mirror.kind) ?? 'Service') !== 'Service')) {
        out.set(`mirror:${mns}/${str(mirror.name)}`, {
          message: `traffic mirrored outside the namespace to ${mns ?? ''}/${str(mirror.name)}`,
          path: pointer(...at, k, 'requestMirror', 'backendRef'),
        });
      }
    });
  };
  arr(spec.rules).forEach((r, i) => {
    if (!isObject(r)) return;
    filters(r.filters, ['spec', 'rules', i, 'filters']);
    arr(r.backendRefs).forEach((b, j) => {
      if (isObject(b)) filters(b.filters, ['spec', 'rules', i, 'backendRefs', j, 'filters']);
    });
  });
  return out;
}

export function gatewayExposure(input: RuleInput): Hit[] {
  const { before, after, change } = input;
  if (after === null || change.object.group !== 'gateway.networking.k8s.io') return [];
  const ns = namespaceOf(after) || change.object.namespace;
  const old = before === null ? new Map<string, Hit>() : gatewayConditions(before, ns);
  return [...gatewayConditions(after, ns)].filter(([k]) => !old.has(k)).map(([, h]) => h);
}

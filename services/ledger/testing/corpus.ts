// Test support: a deterministic corpus of changes over a few clusters, namespaces and objects, with
// a brute-force model of DESIGN 5.1's filter semantics to check the index against.
import type { Change, Verb } from '../../../packages/change/index.js';
import { annotationsOf, hostsOf, isStoredObject } from '../../../packages/risk/index.js';
import { changeOf } from '../../../packages/risk/testing/index.js';
import { rfc3339Micros } from '../search/timestamp.js';

/** A small seeded PRNG (mulberry32), so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CLUSTERS = ['eu1', 'us2', 'ap3'];
export const NAMESPACES = ['shop', 'blog', 'payments', 'kube-system'];
export const NAMES = ['web', 'api', 'admin'];
export const USERS = [
  'alice@example.com',
  'bob@example.com',
  'system:serviceaccount:ci:deployer',
  'system:anonymous',
];
export const WORDS = ['refund', 'rollout', 'hotfix', 'migration', 'canary'];
export const HOST_POOL = ['shop.example.com', 'api.example.com', '*.example.org', 'blog.example.net', ''];

export interface Modelled {
  idx: bigint;
  change: Change;
  hosts: string[];
  annotationValues: string[];
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

function ingress(r: () => number, ns: string, name: string) {
  const hosts = [pick(r, HOST_POOL), ...(r() < 0.3 ? [pick(r, HOST_POOL)] : [])];
  const annotations: Record<string, string> = {};
  if (r() < 0.3)
    annotations['nginx.ingress.kubernetes.io/auth-url'] = `https://auth.${pick(r, WORDS)}.example.com`;
  if (r() < 0.15)
    annotations['nginx.ingress.kubernetes.io/configuration-snippet'] =
      `more_set_headers "X-${pick(r, WORDS)}: 1";`;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns, annotations },
    spec: {
      rules: hosts.map((h) => (h === '' ? { http: { paths: [] } } : { host: h })),
      ...(r() < 0.5 ? { tls: [{ hosts: hosts.filter((h) => h !== ''), secretName: `${name}-tls` }] } : {}),
    },
  };
}

/** `n` changes starting at `start` (seconds into the day), with a model of their searchable hosts. */
export class Corpus {
  readonly entries: Modelled[] = [];
  readonly #stored = new Map<string, unknown>();
  readonly #r: () => number;
  #t = 0;

  constructor(seed: number) {
    this.#r = prng(seed);
  }

  next(n: number): Change[] {
    const r = this.#r;
    const out: Change[] = [];
    for (let i = 0; i < n; i++) {
      const cluster = pick(r, CLUSTERS);
      const ns = pick(r, NAMESPACES);
      const name = pick(r, NAMES);
      const key = JSON.stringify([cluster, ns, name]);
      const exists = this.#stored.get(key) != null;
      const verb: Verb = !exists ? 'create' : pick(r, ['update', 'patch', 'patch', 'delete'] as Verb[]);
      const code = r() < 0.1 ? pick(r, [401, 403, 409, 422]) : verb === 'create' ? 201 : 200;
      this.#t += 1 + Math.floor(r() * 600);
      const stamp = new Date(Date.UTC(2026, 10, 20) + this.#t * 1000).toISOString().replace('Z', '123Z');
      const object = ingress(r, ns, name);
      const ok = code < 300;
      const change = changeOf({
        object,
        verb,
        responseCode: code,
        cluster,
        user: { username: pick(r, USERS), groups: ['system:authenticated'] },
        stageTimestamp: stamp,
        reason: r() < 0.5 ? `${pick(r, WORDS)} for ticket ${Math.floor(r() * 100)}` : null,
        request: verb === 'patch' ? { metadata: object.metadata } : verb === 'delete' ? null : object,
        response: !ok
          ? { kind: 'Status', code }
          : verb === 'delete'
            ? { kind: 'Status', status: 'Success' }
            : undefined,
      });
      // Brute-force model of DESIGN 5.1 `host`: the stored object, for a delete the last known
      // version, and the request when nothing was stored.
      let described: unknown;
      if (ok) {
        described = verb === 'delete' ? this.#stored.get(key) : change.response;
        this.#stored.set(key, verb === 'delete' ? null : change.response);
      } else {
        described = isStoredObject(change.request) ? change.request : null;
      }
      this.entries.push({
        idx: BigInt(this.entries.length),
        change,
        hosts: hostsOf(described).map((h) => h.host),
        annotationValues: [...annotationsOf(described).values()],
      });
      out.push(change);
    }
    return out;
  }
}

export interface Filter {
  cluster?: string;
  namespace?: string;
  name?: string;
  user?: string;
  action?: string;
  verb?: string;
  resource?: string;
  host?: string;
  responseCode?: number;
  risk?: string;
  sinceUs?: bigint;
  untilUs?: bigint;
  /** One word, matched as a token of reason, users, names or hosts. */
  word?: string;
}

const tokens = (s: string) =>
  s
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');

/** The indexes a filter selects, newest first, by scanning every entry. */
export function bruteForce(
  entries: readonly Modelled[],
  f: Filter,
  risks: Map<bigint, Set<string>>,
  size: bigint,
): bigint[] {
  return entries
    .filter(({ idx, change: c, hosts, annotationValues }) => {
      if (idx >= size) return false;
      if (f.cluster !== undefined && c.cluster !== f.cluster) return false;
      if (f.namespace !== undefined && c.object.namespace !== f.namespace) return false;
      if (f.name !== undefined && c.object.name !== f.name) return false;
      if (f.user !== undefined && c.user.username !== f.user) return false;
      if (f.action !== undefined && c.action !== f.action) return false;
      if (f.verb !== undefined && c.verb !== f.verb) return false;
      if (f.resource !== undefined && c.object.resource !== f.resource) return false;
      if (f.host !== undefined && !hosts.includes(f.host)) return false;
      if (f.responseCode !== undefined && c.responseCode !== f.responseCode) return false;
      if (f.risk !== undefined && !risks.get(idx)?.has(f.risk)) return false;
      const t = rfc3339Micros(c.stageTimestamp) ?? 0n;
      if (f.sinceUs !== undefined && t < f.sinceUs) return false;
      if (f.untilUs !== undefined && t > f.untilUs) return false;
      if (f.word !== undefined) {
        const text = [
          c.reason ?? '',
          c.user.username,
          c.object.name,
          c.object.namespace,
          c.cluster,
          ...hosts,
          ...annotationValues,
        ];
        if (!text.some((s) => tokens(s).includes(f.word as string))) return false;
      }
      return true;
    })
    .map((e) => e.idx)
    .reverse();
}

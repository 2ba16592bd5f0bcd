// Where an automated change came from (DESIGN 3.2 `attribution`; the rules and their precedence are
// docs/attribution.md). Pure: it reads the audit event's user agent, user, request URI and the
// managedFields of the raw bodies (read here, before they are stripped), and the labels and
// annotations of the stored object and of the request body. The event is hostile input: nothing
// is trusted to have a type, and every string kept is cut to MAX_ATTRIBUTION_CHARS.
//
// A tool's labels stay on an object after the tool wrote it, so they never attribute a write on
// their own: the actor (user agent, field manager or service account) names the tool first, and
// the labels then say which application, release or pipeline. Only a request body that itself sets
// a tool's labels attributes a write without an actor signal (a tool with an unusual user agent).

export interface Attribution {
  /** `argocd`, `flux`, `helm`, `ci`, `kubectl`. */
  tool: string;
  /** The Argo CD application, Flux Kustomization or HelmRelease, Helm release, CI pipeline or kubectl field manager. */
  name?: string;
  /** A commit SHA, a chart (`name-version`), an application version or a kubectl version. */
  revision?: string;
  /** A pipeline or source URL. */
  url?: string;
}

/** Longest value kept in an attribution field; the stored object keeps the whole text. */
export const MAX_ATTRIBUTION_CHARS = 256;

export const ARGOCD_TRACKING_ID = 'argocd.argoproj.io/tracking-id';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const VERSION_LABEL = 'app.kubernetes.io/version';
export const FLUX_KUSTOMIZE_NAME = 'kustomize.toolkit.fluxcd.io/name';
export const FLUX_HELM_NAME = 'helm.toolkit.fluxcd.io/name';
export const HELM_RELEASE_NAME = 'meta.helm.sh/release-name';
export const HELM_CHART_LABEL = 'helm.sh/chart';
/** Annotations a pipeline sets with the commit it deployed, in order of preference. */
export const REVISION_ANNOTATIONS = [
  'ingress-ledger.dev/revision',
  'org.opencontainers.image.revision',
  'app.gitlab.com/commit',
] as const;
/** Annotations a pipeline sets with the URL of its run, in order of preference. */
export const URL_ANNOTATIONS = [
  'ingress-ledger.dev/pipeline-url',
  'ingress-ledger.dev/source-url',
  'org.opencontainers.image.source',
] as const;
/** The name of the pipeline, when the pipeline says it. */
export const PIPELINE_ANNOTATION = 'ingress-ledger.dev/pipeline';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const cut = (s: string) => s.slice(0, MAX_ATTRIBUTION_CHARS);

/** The parts of an audit event that attribution reads (raw: managedFields still present). */
export interface AttributionInput {
  userAgent: string;
  username: string;
  requestURI: string;
  requestReceivedTimestamp: string;
  /** The raw requestObject (a patch body for patch). */
  request: unknown;
  /** The raw responseObject (the stored object). */
  response: unknown;
}

/** String-valued entries of metadata.labels and metadata.annotations of an object-shaped body. */
function metaOf(body: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!isObj(body) || !isObj(body.metadata) || body.kind === 'Status') return out;
  for (const part of ['labels', 'annotations'] as const) {
    const m = body.metadata[part];
    if (!isObj(m)) continue;
    for (const [k, v] of Object.entries(m)) if (typeof v === 'string') out.set(k, v);
  }
  return out;
}

/** Labels and annotations a JSON Patch (RFC 6902) adds or replaces. */
function metaOfJsonPatch(ops: unknown[]): Map<string, string> {
  const out = new Map<string, string>();
  const unescapeToken = (t: string) => t.replaceAll('~1', '/').replaceAll('~0', '~');
  for (const op of ops) {
    if (!isObj(op) || (op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string') continue;
    const m = /^\/metadata\/(labels|annotations)(?:\/([^/]+))?$/.exec(op.path);
    if (m === null) continue;
    if (m[2] !== undefined && typeof op.value === 'string') out.set(unescapeToken(m[2]), op.value);
    if (m[2] === undefined && isObj(op.value)) {
      for (const [k, v] of Object.entries(op.value)) if (typeof v === 'string') out.set(k, v);
    }
  }
  return out;
}

/** What the request body sets: a full object, a merge or strategic patch, or a JSON Patch. */
function setByRequest(request: unknown): Map<string, string> {
  return Array.isArray(request) ? metaOfJsonPatch(request) : metaOf(request);
}

/**
 * The field manager of this write: the `fieldManager` query parameter, else the managedFields
 * entry stamped at or after the request (managedFields times have whole seconds).
 */
export function fieldManagerOf(input: AttributionInput): string | undefined {
  const q = input.requestURI.indexOf('?');
  if (q >= 0) {
    const fm = new URLSearchParams(input.requestURI.slice(q + 1)).get('fieldManager');
    if (fm !== null && fm !== '') return cut(fm);
  }
  const received = Date.parse(input.requestReceivedTimestamp);
  if (Number.isNaN(received)) return undefined;
  const floor = Math.floor(received / 1000) * 1000;
  let best: { manager: string; time: number } | undefined;
  for (const body of [input.response, input.request]) {
    if (!isObj(body) || !isObj(body.metadata) || !Array.isArray(body.metadata.managedFields)) continue;
    for (const f of body.metadata.managedFields.slice(0, 1000)) {
      if (!isObj(f) || typeof f.manager !== 'string' || typeof f.time !== 'string') continue;
      const t = Date.parse(f.time);
      if (Number.isNaN(t) || t < floor) continue;
      if (best === undefined || t >= best.time) best = { manager: f.manager, time: t };
    }
    if (best !== undefined) break;
  }
  return best === undefined ? undefined : cut(best.manager);
}

type Tool = 'argocd' | 'flux' | 'helm' | 'kubectl';

/** The tool the actor signals say made the write, if any. */
function actorTool(ua: string, manager: string, username: string): Tool | undefined {
  const lowerUa = ua.toLowerCase();
  const sa = /^system:serviceaccount:[^:]+:(.+)$/.exec(username)?.[1] ?? '';
  const any = (pred: (s: string) => boolean) => [lowerUa, manager, sa].some((s) => s !== '' && pred(s));
  if (any((s) => s.startsWith('argocd'))) return 'argocd';
  if (any((s) => s.startsWith('kustomize-controller') || s.startsWith('helm-controller'))) return 'flux';
  if (lowerUa.startsWith('helm/') || manager === 'helm') return 'helm';
  if (lowerUa.startsWith('kubectl/') || manager.startsWith('kubectl')) return 'kubectl';
  return undefined;
}

/** The tool whose own labels the request body sets (the fallback without an actor signal). */
function labelTool(set: Map<string, string>): Tool | undefined {
  if (set.has(ARGOCD_TRACKING_ID)) return 'argocd';
  if (set.has(FLUX_KUSTOMIZE_NAME) || set.has(FLUX_HELM_NAME)) return 'flux';
  if (set.has(HELM_RELEASE_NAME) || set.get(MANAGED_BY_LABEL) === 'Helm') return 'helm';
  return undefined;
}

const first = (m: Map<string, string>, keys: readonly string[]) => {
  for (const k of keys) {
    const v = m.get(k);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
};

/** The Argo CD application of a tracking id `<app>:<group>/<kind>:<namespace>/<name>`. */
function argoApp(trackingId: string): string | undefined {
  const app = trackingId.split(':')[0];
  return app === undefined || app === '' ? undefined : app;
}

function build(tool: string, name?: string, revision?: string, url?: string): Attribution {
  const a: Attribution = { tool };
  if (name !== undefined && name !== '') a.name = cut(name);
  if (revision !== undefined && revision !== '') a.revision = cut(revision);
  if (url !== undefined && url !== '') a.url = cut(url);
  return a;
}

/** The attribution of one audited write, or undefined when nothing names its source. */
export function attributionOf(input: AttributionInput): Attribution | undefined {
  const set = setByRequest(input.request);
  // The labels the object carries after the write; the request's own when there is no stored object.
  const stored = metaOf(input.response);
  const meta = stored.size > 0 ? stored : set;
  const manager = fieldManagerOf(input) ?? '';
  const pipelineRevision = first(set, REVISION_ANNOTATIONS);
  const pipelineUrl = first(set, URL_ANNOTATIONS);
  const tool = actorTool(input.userAgent, manager, input.username) ?? labelTool(set);
  switch (tool) {
    case 'argocd': {
      const tracking = meta.get(ARGOCD_TRACKING_ID);
      const app = (tracking === undefined ? undefined : argoApp(tracking)) ?? meta.get(INSTANCE_LABEL);
      return build('argocd', app, pipelineRevision, pipelineUrl);
    }
    case 'flux':
      return build(
        'flux',
        meta.get(FLUX_KUSTOMIZE_NAME) ?? meta.get(FLUX_HELM_NAME),
        pipelineRevision ?? (meta.has(FLUX_HELM_NAME) ? meta.get(HELM_CHART_LABEL) : undefined),
        pipelineUrl,
      );
    case 'helm':
      return build(
        'helm',
        meta.get(HELM_RELEASE_NAME) ?? meta.get(INSTANCE_LABEL),
        meta.get(HELM_CHART_LABEL) ?? pipelineRevision,
        pipelineUrl,
      );
    default:
      break;
  }
  // A pipeline says so by setting its commit or run URL in this very request.
  if (pipelineRevision !== undefined || pipelineUrl !== undefined) {
    return build('ci', set.get(PIPELINE_ANNOTATION), pipelineRevision ?? set.get(VERSION_LABEL), pipelineUrl);
  }
  if (tool === 'kubectl') {
    const version = /^kubectl\/(v[0-9A-Za-z.+-]+)/i.exec(input.userAgent)?.[1];
    return build('kubectl', manager, version);
  }
  return undefined;
}

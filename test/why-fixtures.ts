// Audit events of one change per tool (issue 18), built from the real Ingress manifests in
// ../shared/testdata/k8s-audit with the envelope of the real events there (falco-trace-files): an
// Argo CD sync, a Flux reconcile, a Helm upgrade, `kubectl apply` with a change-cause, a pipeline's
// apply, and a person's `kubectl edit` with and without a reason. Each states the attribution and
// reason that docs/attribution.md promises for it. Without ../shared, a minimal manifest of the
// same shape stands in, so the unit tests still run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Attribution } from '../packages/change/index.js';
import { sharedTestdata } from './support/shared.js';

export interface WhyFixture {
  name: string;
  /** The audit event as the kube-apiserver sends it (managedFields included). */
  event: Record<string, unknown>;
  attribution: Attribution | undefined;
  reason: string | null;
  /** True when a person made it (the admission policy and `reason-missing` ask them for a reason). */
  human: boolean;
}

const FALLBACK = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'minimal-ingress' },
  spec: {
    rules: [
      {
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'test', port: { number: 80 } } } },
          ],
        },
      },
    ],
  },
};

// biome-ignore lint/suspicious/noExplicitAny: manifests are edited by path
type Obj = Record<string, any>;

/** A real manifest from the shared corpus (parsed), or the stand-in when it is absent. */
export function realManifest(rel: string): Obj {
  const dir = sharedTestdata('k8s-audit');
  const file = dir === undefined ? undefined : join(dir, rel);
  if (file === undefined || !existsSync(file)) return structuredClone(FALLBACK);
  return parse(readFileSync(file, 'utf8')) as Obj;
}

export const SHA = '3f2c1e9a7b5d4c3e2f1a0b9c8d7e6f5a4b3c2d1e';
export const PIPELINE_URL = 'https://ci.example.com/shop/web/-/pipelines/8812';

interface Spec {
  name: string;
  manifest: string;
  verb: 'create' | 'update' | 'patch';
  user: { username: string; groups: string[] };
  userAgent: string;
  query?: string;
  manager?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Sets the request body: the whole object (apply, sync) or only the patch (edit). */
  request: 'object' | { annotations: Record<string, string> };
  attribution: Attribution | undefined;
  reason: string | null;
  human: boolean;
}

const PERSON = { username: 'bob@example.com', groups: ['platform', 'system:authenticated'] };
const sa = (ns: string, name: string) => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
});

const SPECS: Spec[] = [
  {
    name: 'argocd-sync',
    manifest: 'k8s-website-examples/minimal-ingress.yaml',
    verb: 'patch',
    user: sa('argocd', 'argocd-application-controller'),
    userAgent: 'argocd-application-controller/v2.13.1+af54ef8 (linux/amd64)',
    query: 'fieldManager=argocd-controller&force=true',
    annotations: {
      'argocd.argoproj.io/tracking-id': 'shop:networking.k8s.io/Ingress:why-0/minimal-ingress',
      'ingress-ledger.dev/revision': SHA,
    },
    request: 'object',
    attribution: { tool: 'argocd', name: 'shop', revision: SHA },
    reason: null,
    human: false,
  },
  {
    name: 'flux-reconcile',
    manifest: 'k8s-website-examples/name-virtual-host-ingress.yaml',
    verb: 'patch',
    user: sa('flux-system', 'kustomize-controller'),
    userAgent: 'kustomize-controller/v1.4.0',
    query: 'fieldManager=kustomize-controller&force=true',
    labels: {
      'kustomize.toolkit.fluxcd.io/name': 'apps',
      'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
    },
    request: 'object',
    attribution: { tool: 'flux', name: 'apps' },
    reason: null,
    human: false,
  },
  {
    name: 'helm-upgrade',
    manifest: 'k8s-website-examples/tls-example-ingress.yaml',
    verb: 'patch',
    user: sa('ci', 'deployer'),
    userAgent: 'Helm/3.16.2',
    manager: 'helm',
    labels: { 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'web-1.4.2' },
    annotations: { 'meta.helm.sh/release-name': 'web', 'meta.helm.sh/release-namespace': 'why-2' },
    request: 'object',
    attribution: { tool: 'helm', name: 'web', revision: 'web-1.4.2' },
    reason: null,
    human: false,
  },
  {
    name: 'kubectl-apply-change-cause',
    manifest: 'ingress-nginx-examples/tls-termination__ingress.yaml',
    verb: 'patch',
    user: PERSON,
    userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
    manager: 'kubectl-client-side-apply',
    annotations: { 'kubernetes.io/change-cause': 'kubectl apply --filename=ingress.yaml (CHG-2231)' },
    request: {
      annotations: { 'kubernetes.io/change-cause': 'kubectl apply --filename=ingress.yaml (CHG-2231)' },
    },
    attribution: { tool: 'kubectl', name: 'kubectl-client-side-apply', revision: 'v1.31.2' },
    reason: 'kubectl apply --filename=ingress.yaml (CHG-2231)',
    human: true,
  },
  {
    name: 'ci-pipeline-apply',
    manifest: 'k8s-website-examples/ingress-wildcard-host.yaml',
    verb: 'patch',
    user: sa('ci', 'deployer'),
    userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
    query: 'fieldManager=kubectl&force=true',
    labels: { 'app.kubernetes.io/version': '2.7.0' },
    annotations: {
      'ingress-ledger.dev/pipeline': 'deploy-web',
      'ingress-ledger.dev/pipeline-url': PIPELINE_URL,
      'ingress-ledger.dev/revision': SHA,
    },
    request: 'object',
    attribution: { tool: 'ci', name: 'deploy-web', revision: SHA, url: PIPELINE_URL },
    reason: null,
    human: false,
  },
  {
    name: 'human-edit-with-reason',
    manifest: 'ingress-nginx-examples/customization__custom-headers__custom-headers.yaml',
    verb: 'patch',
    user: PERSON,
    userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
    manager: 'kubectl-edit',
    annotations: { 'ingress-ledger.dev/reason': 'INC-4711: move /api to the new backend' },
    request: { annotations: { 'ingress-ledger.dev/reason': 'INC-4711: move /api to the new backend' } },
    attribution: { tool: 'kubectl', name: 'kubectl-edit', revision: 'v1.31.2' },
    reason: 'INC-4711: move /api to the new backend',
    human: true,
  },
  {
    name: 'human-edit-without-reason',
    manifest: 'ingress-nginx-examples/affinity__cookie__ingress.yaml',
    verb: 'patch',
    user: PERSON,
    userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
    manager: 'kubectl-edit',
    request: { annotations: { 'nginx.ingress.kubernetes.io/affinity-mode': 'persistent' } },
    attribution: { tool: 'kubectl', name: 'kubectl-edit', revision: 'v1.31.2' },
    reason: null,
    human: true,
  },
];

function eventOf(s: Spec, n: number): Record<string, unknown> {
  const obj = realManifest(s.manifest);
  const ns = `why-${n}`;
  const name = String(obj.metadata?.name ?? 'ingress');
  const second = String(n).padStart(2, '0');
  const received = `2026-12-05T10:00:${second}.123456Z`;
  const meta = (obj.metadata ??= {});
  meta.namespace = ns;
  meta.labels = { ...(meta.labels ?? {}), ...(s.labels ?? {}) };
  meta.annotations = { ...(meta.annotations ?? {}), ...(s.annotations ?? {}) };
  const manager = s.manager ?? new URLSearchParams(s.query ?? '').get('fieldManager') ?? 'unknown';
  const stored = structuredClone(obj);
  Object.assign(stored.metadata, {
    uid: `uid-why-${n}`,
    resourceVersion: String(1000 + n),
    generation: 2,
    managedFields: [
      {
        manager: 'before',
        operation: 'Update',
        apiVersion: 'networking.k8s.io/v1',
        time: '2026-11-01T08:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
      {
        manager,
        operation: s.query?.includes('force') ? 'Apply' : 'Update',
        apiVersion: 'networking.k8s.io/v1',
        time: `2026-12-05T10:00:${second}Z`,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
    ],
  });
  const request = s.request === 'object' ? obj : { metadata: { annotations: s.request.annotations } };
  const path = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/${name}`;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: `why-${n}-${s.name}`,
    stage: 'ResponseComplete',
    requestURI: s.query === undefined ? path : `${path}?${s.query}`,
    verb: s.verb,
    user: s.user,
    sourceIPs: ['10.20.0.7'],
    userAgent: s.userAgent,
    objectRef: {
      resource: 'ingresses',
      namespace: ns,
      name,
      apiGroup: 'networking.k8s.io',
      apiVersion: 'v1',
    },
    responseStatus: { metadata: {}, code: 200 },
    requestObject: request,
    responseObject: stored,
    requestReceivedTimestamp: received,
    stageTimestamp: `2026-12-05T10:00:${second}.223456Z`,
    annotations: { 'authorization.k8s.io/decision': 'allow' },
  };
}

/** One fixture per tool, each in its own namespace `why-<n>`. */
export function whyFixtures(): WhyFixture[] {
  return SPECS.map((s, n) => ({
    name: s.name,
    event: eventOf(s, n),
    attribution: s.attribution,
    reason: s.reason,
    human: s.human,
  }));
}

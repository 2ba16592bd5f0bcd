// Renders deploy/kubernetes with the real `kubectl kustomize` and walks the objects it makes.
// Tests that need it skip with a clear message on a machine without kubectl.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './shared.js';

export const NO_KUBECTL =
  'skipped: kubectl is not installed (needed to render deploy/kubernetes with kustomize)';

export const KUBERNETES_DIR = join(REPO_ROOT, 'deploy', 'kubernetes');

/** Every tree the tests render: a kustomization under deploy/kubernetes, and components added to it. */
export const KUSTOMIZATIONS: readonly { rel: string; components: readonly string[] }[] = [
  { rel: 'base', components: [] },
  { rel: 'overlays/dev', components: [] },
  { rel: 'overlays/ha', components: [] },
  { rel: 'overlays/ha', components: ['components/cert-manager'] },
  { rel: 'overlays/dev', components: ['components/reason-policy'] },
  { rel: 'overlays/dev', components: ['components/notify'] },
];

export function haveKubectl(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
}

/** A rendered object: plain JSON as kustomize printed it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: objects of every kind are read by path in the tests
  [field: string]: any;
}

/**
 * `kubectl kustomize deploy/kubernetes/<rel>`, parsed; with `components` (paths under
 * deploy/kubernetes), a throwaway kustomization of that tree plus those components is rendered
 * instead. Throws with kubectl's message on failure.
 */
export function render(rel: string, components: readonly string[] = []): K8sObject[] {
  let dir = join(KUBERNETES_DIR, rel);
  let temp: string | undefined;
  if (components.length > 0) {
    temp = mkdtempSync(join(tmpdir(), 'il-kustomize-'));
    // kustomize takes only relative paths to other trees.
    const list = (paths: readonly string[]) =>
      paths.map((p) => `  - ${relative(temp!, join(KUBERNETES_DIR, p))}\n`).join('');
    writeFileSync(
      join(temp, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${list([rel])}components:\n${list(components)}`,
    );
    dir = temp;
  }
  try {
    const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kubectl kustomize ${rel} failed: ${r.stderr}`);
    return parseAllDocuments(r.stdout).map((d) => {
      if (d.errors.length > 0) throw new Error(`kubectl kustomize ${rel}: ${d.errors[0]?.message}`);
      return d.toJSON() as K8sObject;
    });
  } finally {
    if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
  }
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return o;
}

/** The generated ConfigMap whose name starts with `name-` (kustomize appends a content hash). */
export function generatedConfigMap(objects: K8sObject[], name: string): K8sObject {
  const o = objects.find(
    (x) => x.kind === 'ConfigMap' && new RegExp(`^${name}-[a-z0-9]{10}$`).test(x.metadata.name),
  );
  if (o === undefined) throw new Error(`no generated ConfigMap ${name} in the rendered manifests`);
  return o;
}

/** The reply inbox prefixes (`nats-inbox-prefix`) of the ledger and the collector in rendered settings. */
export function inboxPrefixes(objects: K8sObject[]): { ledger: string; collector: string } {
  const setting = (configMap: string, file: string): string => {
    const text = (generatedConfigMap(objects, configMap).data as Record<string, string>)[file] ?? '';
    const value = (parseAllDocuments(text)[0]?.toJS() as Record<string, unknown> | null)?.[
      'nats-inbox-prefix'
    ];
    if (typeof value !== 'string' || value === '') throw new Error(`${file} sets no nats-inbox-prefix`);
    return value;
  };
  return {
    ledger: setting('ingress-ledger-ledger-config', 'ledger.yaml'),
    collector: setting('ingress-ledger-collector-config', 'collector.yaml'),
  };
}

/** The skip reason of tests that run the rendered NATS configuration, or false. */
export function natsManifestSkip(haveNats: boolean, haveTls: boolean, noTls: string): string | false {
  if (!haveKubectl()) return NO_KUBECTL;
  if (!haveNats) return 'skipped: nats-server is not installed';
  return haveTls ? false : noTls;
}

export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

/** The pod spec of a workload. */
// biome-ignore lint/suspicious/noExplicitAny: a pod spec read by path
export function podSpec(o: K8sObject): any {
  return o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
}

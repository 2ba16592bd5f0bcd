// deploy/kubernetes as kustomize renders it: every object valid against the Kubernetes (and
// Prometheus Operator, cert-manager) OpenAPI schemas, and the rules the manifests promise: restricted Pod
// Security, locked-down containers with resources, default-deny networking, secrets only from
// Secrets, probes on the health endpoints, and what the ha overlay adds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import {
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { parse as parseYaml } from 'yaml';
import type { SettingsTable } from '../packages/runtime/index.js';
import { COLLECTOR_SETTINGS } from '../services/collector/index.js';
import { LEDGER_SETTINGS } from '../services/ledger/index.js';
import { NOTIFY_SETTINGS } from '../services/notify/index.js';
import { WITNESS_SETTINGS } from '../services/witness/index.js';
import {
  find,
  generatedConfigMap,
  haveKubectl,
  type K8sObject,
  KUSTOMIZATIONS,
  NO_KUBECTL,
  podSpec,
  render,
  WORKLOAD_KINDS,
} from './support/kustomize.js';
import { REPO_ROOT } from './support/shared.js';

const skip = haveKubectl() ? false : NO_KUBECTL;

/** The schema of every kind the manifests may contain; anything else fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'cert-manager.io/v1/Issuer': Issuer,
  'cert-manager.io/v1/Certificate': Certificate,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': ValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': ValidatingAdmissionPolicyBinding,
};

/** Kinds without a namespace. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

const NAMESPACES = ['ingress-ledger', 'ingress-ledger-witness'];

/** Settings whose value is a file holding a secret: it must be mounted from a Secret. */
const SECRET_SETTINGS =
  /^(key|tls-key-file|webhook-token-file|nats-nkey-file|nats-creds-file|nats-password-file|nats-key-file|elasticsearch-api-key-file|elasticsearch-password-file|loki-token-file|splunk-token-file|slack-webhook-url-file|alerts-webhook-secret-file)$/;

/** Each service's settings, by the command the container runs. */
const SERVICE_SETTINGS: Record<string, SettingsTable> = {
  ledger: LEDGER_SETTINGS,
  collector: COLLECTOR_SETTINGS,
  witness: WITNESS_SETTINGS,
  notify: NOTIFY_SETTINGS,
};

/**
 * Settings the manifests use before the services have them: the ha overlay asks the ledger for R3
 * streams. Until the ledger knows the setting it refuses to start, naming it (exit 2).
 */
const PENDING_SETTINGS = new Set(['ledger:stream-replicas']);

const label = (o: K8sObject) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

// biome-ignore lint/suspicious/noExplicitAny: container specs read by path
type Container = any;

function containersOf(o: K8sObject): Container[] {
  const spec = podSpec(o);
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** The volume that holds `path` in the container (the longest mount path that contains it). */
// biome-ignore lint/suspicious/noExplicitAny: a volume read by path
function volumeFor(o: K8sObject, c: Container, path: string): any {
  const mounts = (c.volumeMounts ?? []) as { name: string; mountPath: string }[];
  const m = mounts
    .filter((v) => path.startsWith(`${v.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  assert.ok(m !== undefined, `${label(o)}: nothing is mounted at ${path}`);
  const v = podSpec(o).volumes.find((x: { name: string }) => x.name === m.name);
  assert.ok(v !== undefined, `${label(o)}: volume ${m.name} is not defined`);
  return v;
}

/** Settings a container is given: its --config file (from a generated ConfigMap) and its env. */
function settingsOf(objects: K8sObject[], o: K8sObject, c: Container): Map<string, string> {
  const out = new Map<string, string>();
  const args: string[] = c.args ?? [];
  // Flags after the command, as --name=value or --name value.
  for (let i = 1; i < args.length; i++) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(args[i]!);
    if (m === null) continue;
    const value = m[2] ?? args[++i];
    if (m[1] !== 'config') out.set(m[1]!, value ?? '');
  }
  const at = args.indexOf('--config');
  if (at >= 0) {
    const file = args[at + 1]!;
    const vol = volumeFor(o, c, file);
    assert.ok(vol.configMap !== undefined, `${label(o)}: --config is not from a ConfigMap`);
    const cm = find(objects, 'ConfigMap', vol.configMap.name);
    const text = cm.data[file.slice(file.lastIndexOf('/') + 1)];
    assert.equal(typeof text, 'string', `${label(o)}: ${file} is not in ConfigMap ${cm.metadata.name}`);
    for (const [k, v] of Object.entries(parseYaml(text) as Record<string, unknown>)) out.set(k, String(v));
  }
  for (const e of (c.env ?? []) as { name: string; value?: string }[]) {
    if (e.name.startsWith('INGRESS_LEDGER_') && e.value !== undefined) {
      out.set(e.name.slice('INGRESS_LEDGER_'.length).toLowerCase().replaceAll('_', '-'), e.value);
    }
  }
  return out;
}

for (const { rel, components } of KUSTOMIZATIONS) {
  const name = [rel, ...components].map((p) => `deploy/kubernetes/${p}`).join(' with ');
  describe(`${name} rendered by kubectl kustomize`, { skip }, () => {
    const objects = skip ? [] : render(rel, components);
    const workloads = () => objects.filter((o) => WORKLOAD_KINDS.has(o.kind));

    it('validates every object against its OpenAPI schema', () => {
      assert.ok(objects.length > 20, `only ${objects.length} objects`);
      for (const o of objects) {
        const Model = MODELS[`${o.apiVersion}/${o.kind}`];
        assert.ok(Model !== undefined, `${label(o)}: no schema for ${o.apiVersion} ${o.kind}`);
        assert.doesNotThrow(() => new Model(o as never).validate(), `${label(o)} is not valid`);
      }
    });

    it('puts every namespaced object in one of the two namespaces, both restricted', () => {
      for (const o of objects) {
        if (CLUSTER_SCOPED.has(o.kind)) {
          assert.equal(o.metadata.namespace, undefined, `${label(o)} is cluster-scoped`);
          continue;
        }
        assert.ok(NAMESPACES.includes(o.metadata.namespace ?? ''), `${label(o)} has no namespace of ours`);
      }
      for (const name of NAMESPACES) {
        const labels = find(objects, 'Namespace', name).metadata.labels ?? {};
        for (const mode of ['enforce', 'audit', 'warn']) {
          assert.equal(labels[`pod-security.kubernetes.io/${mode}`], 'restricted', `${name} ${mode}`);
        }
      }
    });

    it('locks down every pod and container and gives each requests and limits', () => {
      // NATS, ledger, collector, witness, and notify when its component is in.
      assert.equal(workloads().length, components.includes('components/notify') ? 5 : 4);
      for (const o of workloads()) {
        const spec = podSpec(o);
        assert.equal(spec.securityContext?.runAsNonRoot, true, `${label(o)} pod runAsNonRoot`);
        assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${label(o)} pod seccomp`);
        assert.equal(spec.automountServiceAccountToken, false, `${label(o)} mounts an API token`);
        for (const f of ['hostNetwork', 'hostPID', 'hostIPC'])
          assert.notEqual(spec[f], true, `${label(o)} ${f}`);
        for (const v of spec.volumes ?? []) assert.equal(v.hostPath, undefined, `${label(o)} hostPath`);
        for (const c of containersOf(o)) {
          const at = `${label(o)} container ${c.name}`;
          const sc = c.securityContext ?? {};
          assert.equal(sc.runAsNonRoot, true, `${at}: runAsNonRoot`);
          assert.equal(sc.readOnlyRootFilesystem, true, `${at}: readOnlyRootFilesystem`);
          assert.equal(sc.allowPrivilegeEscalation, false, `${at}: allowPrivilegeEscalation`);
          assert.equal(sc.privileged ?? false, false, `${at}: privileged`);
          assert.deepEqual(sc.capabilities, { drop: ['ALL'] }, `${at}: capabilities`);
          assert.equal(sc.seccompProfile?.type, 'RuntimeDefault', `${at}: seccomp`);
          for (const kind of ['requests', 'limits']) {
            for (const r of ['cpu', 'memory']) {
              assert.ok(c.resources?.[kind]?.[r] !== undefined, `${at}: no ${r} in resources.${kind}`);
            }
          }
          assert.match(c.image, /:[0-9][^:]*$/, `${at}: image ${c.image} is not pinned to a version`);
        }
      }
    });

    it('denies all traffic by default in both namespaces', () => {
      for (const ns of NAMESPACES) {
        const deny = objects.find(
          (o) =>
            o.kind === 'NetworkPolicy' &&
            o.metadata.namespace === ns &&
            Object.keys(o.spec.podSelector).length === 0 &&
            o.spec.ingress === undefined &&
            o.spec.egress === undefined,
        );
        assert.ok(deny !== undefined, `no default-deny policy in ${ns}`);
        assert.deepEqual([...deny.spec.policyTypes].sort(), ['Egress', 'Ingress']);
      }
    });

    it('opens a policy for every port a Service exposes', () => {
      for (const svc of objects.filter((o) => o.kind === 'Service')) {
        const app = svc.spec.selector['app.kubernetes.io/name'];
        const pod = workloads().find((w) => w.spec.selector.matchLabels['app.kubernetes.io/name'] === app);
        assert.ok(pod !== undefined, `${label(svc)} selects no workload`);
        const ports = new Map<string, number>();
        for (const c of containersOf(pod)) for (const p of c.ports ?? []) ports.set(p.name, p.containerPort);
        for (const p of svc.spec.ports) {
          const port = ports.get(p.targetPort);
          assert.ok(port !== undefined, `${label(svc)} port ${p.name}: no container port ${p.targetPort}`);
          if (p.name === 'monitor') continue; // probed by the kubelet only
          const open = objects.some(
            (np) =>
              np.kind === 'NetworkPolicy' &&
              np.metadata.namespace === svc.metadata.namespace &&
              selects(np.spec.podSelector, app) &&
              (np.spec.ingress ?? []).some((r: { ports?: { port: number }[] }) =>
                (r.ports ?? []).some((x) => x.port === port),
              ),
          );
          assert.ok(open, `${label(svc)} port ${p.name} (${port}) is open to no one`);
        }
      }
    });

    it('mounts every secret file from a Secret, and names no Secret the docs do not list', () => {
      const docs = readFileSync(join(REPO_ROOT, 'docs', 'kubernetes.md'), 'utf8');
      for (const o of workloads()) {
        const spec = podSpec(o);
        for (const c of containersOf(o)) {
          // The NATS server's configuration is not ours; its TLS key is checked below.
          const settings = c.name === 'nats' ? new Map<string, string>() : settingsOf(objects, o, c);
          for (const [name, value] of settings) {
            if (!SECRET_SETTINGS.test(name)) continue;
            const vol = volumeFor(o, c, value);
            assert.ok(vol.secret !== undefined, `${label(o)}: --${name} ${value} is not from a Secret`);
          }
          // Secrets only ever come from files, never from the environment.
          for (const e of c.env ?? []) {
            assert.equal(e.valueFrom?.secretKeyRef, undefined, `${label(o)}: env ${e.name} from a Secret`);
          }
          assert.equal(c.envFrom, undefined, `${label(o)}: envFrom`);
        }
        for (const v of spec.volumes ?? []) {
          if (v.secret === undefined) continue;
          assert.ok(
            docs.includes(`\`${v.secret.secretName}\``),
            `docs/kubernetes.md does not list ${v.secret.secretName}`,
          );
        }
      }
      // The NATS server's TLS key comes from a Secret as well.
      const nats = find(objects, 'StatefulSet', 'ingress-ledger-nats');
      const conf = generatedConfigMap(objects, 'ingress-ledger-nats-config').data['nats.conf'] as string;
      const keyFile = /key_file: (\S+)/.exec(conf)?.[1];
      assert.ok(keyFile !== undefined);
      assert.ok(volumeFor(nats, podSpec(nats).containers[0], keyFile).secret !== undefined);
    });

    it('keeps secret material out of every ConfigMap', () => {
      for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
        for (const [k, v] of Object.entries(cm.data ?? {}) as [string, string][]) {
          assert.doesNotMatch(
            v,
            /PRIVATE KEY|PRIVATE\+KEY\+|\bSU[A-Z2-7]{50,}|password\s*[:=]/i,
            `${label(cm)} ${k}`,
          );
        }
      }
    });

    it("gives each service only settings it knows, by their names in the service's table", (t) => {
      for (const o of workloads()) {
        for (const c of podSpec(o).containers) {
          if (c.name === 'nats') continue;
          const service = c.args[0] as string;
          const table = SERVICE_SETTINGS[service];
          assert.ok(table !== undefined, `${label(o)}: unknown command ${service}`);
          const known = new Set(table.map((x) => x.name));
          for (const name of settingsOf(objects, o, c).keys()) {
            if (known.has(name)) continue;
            assert.ok(PENDING_SETTINGS.has(`${service}:${name}`), `${label(o)}: ${service} has no --${name}`);
            t.diagnostic(`${label(o)}: --${name} is not yet a ${service} setting`);
          }
        }
      }
    });

    it('probes /livez and /readyz on the metrics-listen port of every service', () => {
      for (const o of workloads()) {
        for (const c of podSpec(o).containers) {
          if (c.name === 'nats') continue;
          const listen = settingsOf(objects, o, c).get('metrics-listen');
          assert.equal(listen, '0.0.0.0:9464', `${label(o)} metrics-listen`);
          assert.ok(
            c.ports.some(
              (p: { name: string; containerPort: number }) =>
                p.name === 'metrics' && p.containerPort === 9464,
            ),
          );
          assert.deepEqual(
            c.livenessProbe.httpGet,
            { path: '/livez', port: 'metrics' },
            `${label(o)} liveness`,
          );
          assert.deepEqual(
            c.readinessProbe.httpGet,
            { path: '/readyz', port: 'metrics' },
            `${label(o)} readiness`,
          );
        }
      }
    });

    it('alerts on every failure the brief names', () => {
      const rule = find(objects, 'PrometheusRule', 'ingress-ledger');
      const exprs = rule.spec.groups
        .flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr))
        .join('\n');
      for (const m of [
        'ingress_ledger_ledger_witness_quorum_ok',
        'ingress_ledger_ledger_witness_evidence',
        'ingress_ledger_ledger_checkpoint_age_seconds',
        'ingress_ledger_ledger_ingest_pending_messages',
        'ingress_ledger_ledger_rejected_total',
        'ingress_ledger_collector_events_rejected_total',
        'ingress_ledger_collector_webhook_requests_total{code="401"}',
        'ingress_ledger_collector_webhook_requests_total{code="413"}',
        'ingress_ledger_collector_webhook_requests_total{code="503"}',
        'ingress_ledger_ledger_last_event_timestamp_seconds',
      ]) {
        assert.ok(exprs.includes(m), `no alert uses ${m}`);
      }
    });

    if (components.includes('components/reason-policy')) {
      it('binds the reason policy in Warn and Audit to its exemptions ConfigMap', () => {
        const policy = find(objects, 'ValidatingAdmissionPolicy', 'ingress-ledger-reason');
        const binding = find(objects, 'ValidatingAdmissionPolicyBinding', 'ingress-ledger-reason');
        assert.equal(binding.spec.policyName, policy.metadata.name);
        assert.deepEqual(binding.spec.validationActions, ['Warn', 'Audit']);
        const cm = find(objects, 'ConfigMap', binding.spec.paramRef.name);
        assert.equal(cm.metadata.namespace, binding.spec.paramRef.namespace);
        assert.deepEqual(policy.spec.paramKind, { apiVersion: 'v1', kind: 'ConfigMap' });
      });
    }

    if (components.includes('components/cert-manager')) {
      it('issues every TLS Secret the pods mount, for the names the clients dial', () => {
        const certs = new Map<string, K8sObject>();
        for (const o of objects.filter((x) => x.kind === 'Certificate')) certs.set(o.spec.secretName, o);
        const names: Record<string, string> = {
          'ingress-ledger-nats-tls': 'ingress-ledger-nats.ingress-ledger.svc',
          'ingress-ledger-grpc-tls': 'ingress-ledger.ingress-ledger.svc',
          'ingress-ledger-collector-tls': 'ingress-ledger-collector.ingress-ledger.svc',
        };
        for (const [secret, dns] of Object.entries(names)) {
          const cert = certs.get(secret);
          assert.ok(cert !== undefined, `no Certificate makes ${secret}`);
          assert.ok(cert.spec.dnsNames.includes(dns), `${secret} does not name ${dns}`);
          assert.equal(cert.spec.issuerRef.name, 'ingress-ledger-ca');
        }
        const nats = certs.get('ingress-ledger-nats-tls')!;
        assert.ok(nats.spec.dnsNames.includes('*.ingress-ledger-nats-headless.ingress-ledger.svc'));
        assert.ok(nats.spec.usages.includes('client auth'), 'NATS routes verify each other');
        const ca = certs.get('ingress-ledger-ca')!;
        assert.equal(ca.spec.isCA, true);
        find(objects, 'Issuer', 'ingress-ledger-ca');
      });
    }

    if (rel === 'overlays/dev') {
      it('runs one replica of everything', () => {
        for (const o of workloads()) assert.equal(o.spec.replicas, 1, label(o));
      });
    }

    if (rel === 'overlays/ha') {
      it('runs a three-node NATS cluster with routes, R3 streams, three collectors and budgets', () => {
        const nats = find(objects, 'StatefulSet', 'ingress-ledger-nats');
        assert.equal(nats.spec.replicas, 3);
        const anti = podSpec(nats).affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
        assert.equal(anti[0].topologyKey, 'kubernetes.io/hostname');
        const cluster = generatedConfigMap(objects, 'ingress-ledger-nats-config').data[
          'cluster.conf'
        ] as string;
        const routes = cluster.match(
          /nats:\/\/ingress-ledger-nats-\d\.ingress-ledger-nats-headless\.ingress-ledger\.svc:6222/g,
        );
        assert.equal(routes?.length, 3);
        assert.match(cluster, /verify: true/);
        assert.equal(find(objects, 'Deployment', 'ingress-ledger-collector').spec.replicas, 3);
        assert.ok(
          podSpec(find(objects, 'StatefulSet', 'ingress-ledger')).containers[0].args.includes(
            '--stream-replicas=3',
          ),
        );
        for (const app of ['nats', 'collector']) {
          const pdb = objects.find(
            (o) =>
              o.kind === 'PodDisruptionBudget' &&
              o.spec.selector.matchLabels['app.kubernetes.io/name'] === app,
          );
          assert.ok(pdb !== undefined, `no PodDisruptionBudget for ${app}`);
        }
      });
    }
  });
}

/** Whether a NetworkPolicy pod selector picks the pods of `app`. */
function selects(
  sel: {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values: string[] }[];
  },
  app: string,
): boolean {
  if (sel.matchLabels !== undefined && sel.matchLabels['app.kubernetes.io/name'] !== app) return false;
  for (const e of sel.matchExpressions ?? []) {
    if (e.key === 'app.kubernetes.io/name' && e.operator === 'In' && !e.values.includes(app)) return false;
  }
  return true;
}

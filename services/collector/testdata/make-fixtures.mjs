#!/usr/bin/env node
// Builds audit-events.jsonl and expected.json from the real Ingress, IngressClass and Gateway API
// manifests in ../shared/testdata/k8s-audit, wrapped in audit.k8s.io envelopes shaped like the real
// events there (falco-trace-files, audit2rbac). Deterministic: rerun it and diff. See README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, '..', '..', '..', '..', 'shared', 'testdata', 'k8s-audit');
const manifest = (rel, i = 0) => parseAllDocuments(readFileSync(join(shared, rel), 'utf8'))[i].toJSON();

const NS = 'shop';
let n = 0;
const id = () => `7f3c2a10-${String(++n).padStart(4, '0')}-4e7b-9c1d-5a8e0b6f${String(n).padStart(4, '0')}`;
const ts = (s) =>
  `2025-03-14T09:${String(10 + Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${String(123456 + s).padStart(6, '0')}Z`;
const alice = { username: 'alice@example.com', groups: ['platform-team', 'system:authenticated'] };
const kubectl = 'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350';
const managedFields = [
  {
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    apiVersion: 'networking.k8s.io/v1',
    time: '2025-03-14T09:10:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:rules': {} } },
  },
];

function stored(obj, { uid, rv, namespace = NS, generation = 1 }) {
  const metadata = {
    ...obj.metadata,
    uid,
    resourceVersion: rv,
    generation,
    creationTimestamp: '2025-03-14T09:10:00Z',
    managedFields,
  };
  if (namespace !== '') metadata.namespace = namespace;
  const out = { ...obj, metadata };
  if (obj.kind === 'Ingress') out.status = { loadBalancer: {} };
  return out;
}

function event(o) {
  const {
    group,
    version,
    resource,
    name,
    namespace = NS,
    subresource,
    verb,
    code,
    uri,
    request,
    response,
    user = alice,
    userAgent = kubectl,
    v1beta1 = false,
    stage = 'ResponseComplete',
    extra = {},
  } = o;
  const t = n;
  const objectRef = {
    resource,
    ...(namespace !== '' ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    apiGroup: group,
    apiVersion: version,
    ...(subresource ? { subresource } : {}),
  };
  const ev = {
    kind: 'Event',
    apiVersion: v1beta1 ? 'audit.k8s.io/v1beta1' : 'audit.k8s.io/v1',
    ...(v1beta1
      ? {
          metadata: { creationTimestamp: ts(t).replace(/\.\d+Z$/, 'Z') },
          timestamp: ts(t).replace(/\.\d+Z$/, 'Z'),
        }
      : {}),
    level: request !== undefined || response !== undefined ? 'RequestResponse' : 'Metadata',
    auditID: id(),
    stage,
    requestURI: uri,
    verb,
    user,
    sourceIPs: ['10.20.0.15'],
    userAgent,
    objectRef,
    responseStatus:
      code >= 400 ? { metadata: {}, status: 'Failure', reason: 'Forbidden', code } : { metadata: {}, code },
    ...(request !== undefined ? { requestObject: request } : {}),
    ...(response !== undefined ? { responseObject: response } : {}),
    requestReceivedTimestamp: ts(t),
    stageTimestamp: ts(t).replace(/\d{3}Z$/, '999Z'),
    annotations: {
      'authorization.k8s.io/decision': code === 403 ? 'forbid' : 'allow',
      'authorization.k8s.io/reason':
        code === 403 ? '' : 'RBAC: allowed by ClusterRoleBinding "platform-admins"',
    },
    ...extra,
  };
  return ev;
}

const events = [];
const expected = {};
function add(label, ev, exp) {
  events.push(ev);
  expected[ev.auditID] = { label, ...exp };
}
const NET = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' };
const ingURI = (name = '', q = '') =>
  `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses${name ? `/${name}` : ''}${q}`;

// 1. create (kubectl create -f), reason via kubernetes.io/change-cause
const minimal = manifest('k8s-website-examples/minimal-ingress.yaml');
minimal.metadata.annotations = {
  'kubernetes.io/change-cause': 'kubectl create --filename=minimal-ingress.yaml',
};
add(
  'create',
  event({
    ...NET,
    name: undefined,
    verb: 'create',
    code: 201,
    uri: ingURI('', '?fieldManager=kubectl-create&fieldValidation=Strict'),
    request: { ...minimal, metadata: { ...minimal.metadata, namespace: NS } },
    response: stored(minimal, { uid: 'a1f0c7e2-1111-4b61-9a0e-0c1d2e3f4a01', rv: '100201' }),
  }),
  {
    verb: 'create',
    action: 'create',
    name: 'minimal-ingress',
    uid: 'a1f0c7e2-1111-4b61-9a0e-0c1d2e3f4a01',
    resourceVersion: '100201',
    responseCode: 201,
    reason: 'kubectl create --filename=minimal-ingress.yaml',
  },
);

// 2. update (kubectl replace), reason via ingress-ledger.dev/reason
const tls = manifest('k8s-website-examples/tls-example-ingress.yaml');
const tlsUpd = {
  ...tls,
  metadata: {
    ...tls.metadata,
    namespace: NS,
    resourceVersion: '100300',
    annotations: {
      'ingress-ledger.dev/reason': 'CHG-1042 rotate certificate',
      'kubernetes.io/change-cause': 'ignored when ingress-ledger.dev/reason is set',
    },
  },
};
tlsUpd.spec = { ...tls.spec, tls: [{ hosts: ['https-example.foo.com'], secretName: 'testsecret-tls-2025' }] };
add(
  'update',
  event({
    ...NET,
    name: 'tls-example-ingress',
    verb: 'update',
    code: 200,
    uri: ingURI('tls-example-ingress', '?fieldManager=kubectl-replace'),
    request: tlsUpd,
    response: stored(tlsUpd, { uid: 'a1f0c7e2-2222-4b61-9a0e-0c1d2e3f4a02', rv: '100301', generation: 2 }),
  }),
  {
    verb: 'update',
    action: 'update',
    name: 'tls-example-ingress',
    uid: 'a1f0c7e2-2222-4b61-9a0e-0c1d2e3f4a02',
    resourceVersion: '100301',
    responseCode: 200,
    reason: 'CHG-1042 rotate certificate',
  },
);

// 3. merge patch (kubectl patch --type merge)
const snippet = manifest('ingress-nginx-examples/customization__configuration-snippets__ingress.yaml');
const mergePatch = {
  metadata: {
    annotations: {
      'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X-Debug: on";\n',
      'ingress-ledger.dev/reason': 'debug header for INC-77',
    },
  },
};
const snippetAfter = {
  ...snippet,
  metadata: {
    ...snippet.metadata,
    annotations: { ...snippet.metadata.annotations, ...mergePatch.metadata.annotations },
  },
};
add(
  'merge-patch',
  event({
    ...NET,
    name: snippet.metadata.name,
    verb: 'patch',
    code: 200,
    uri: ingURI(snippet.metadata.name, '?fieldManager=kubectl-patch'),
    request: mergePatch,
    response: stored(snippetAfter, {
      uid: 'a1f0c7e2-3333-4b61-9a0e-0c1d2e3f4a03',
      rv: '100402',
      generation: 1,
    }),
  }),
  {
    verb: 'patch',
    action: 'update',
    name: snippet.metadata.name,
    uid: 'a1f0c7e2-3333-4b61-9a0e-0c1d2e3f4a03',
    resourceVersion: '100402',
    responseCode: 200,
    reason: 'debug header for INC-77',
  },
);

// 4. JSON patch (kubectl patch --type json)
const vhost = manifest('k8s-website-examples/name-virtual-host-ingress.yaml');
const jsonPatch = [
  { op: 'replace', path: '/spec/rules/0/host', value: 'foo.bar.example' },
  { op: 'add', path: '/metadata/annotations', value: {} },
  {
    op: 'add',
    path: '/metadata/annotations/kubernetes.io~1change-cause',
    value: 'move foo to the example domain',
  },
];
const vhostAfter = structuredClone(vhost);
vhostAfter.spec.rules[0].host = 'foo.bar.example';
vhostAfter.metadata.annotations = { 'kubernetes.io/change-cause': 'move foo to the example domain' };
add(
  'json-patch',
  event({
    ...NET,
    name: vhost.metadata.name,
    verb: 'patch',
    code: 200,
    uri: ingURI(vhost.metadata.name, '?fieldManager=kubectl-patch'),
    request: jsonPatch,
    response: stored(vhostAfter, {
      uid: 'a1f0c7e2-4444-4b61-9a0e-0c1d2e3f4a04',
      rv: '100503',
      generation: 2,
    }),
  }),
  {
    verb: 'patch',
    action: 'update',
    name: vhost.metadata.name,
    uid: 'a1f0c7e2-4444-4b61-9a0e-0c1d2e3f4a04',
    resourceVersion: '100503',
    responseCode: 200,
    reason: 'move foo to the example domain',
  },
);

// 5. strategic-merge patch from kubectl apply (client-side)
const wildcard = manifest('k8s-website-examples/ingress-wildcard-host.yaml');
const lastApplied = JSON.stringify({ ...wildcard, metadata: { ...wildcard.metadata, namespace: NS } });
const smp = {
  metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${lastApplied}\n` } },
  spec: { rules: wildcard.spec.rules },
};
const wildcardAfter = {
  ...wildcard,
  metadata: { ...wildcard.metadata, annotations: smp.metadata.annotations },
};
add(
  'strategic-merge-patch',
  event({
    ...NET,
    name: wildcard.metadata.name,
    verb: 'patch',
    code: 200,
    uri: ingURI(wildcard.metadata.name, '?fieldManager=kubectl-client-side-apply&fieldValidation=Strict'),
    request: smp,
    response: stored(wildcardAfter, {
      uid: 'a1f0c7e2-5555-4b61-9a0e-0c1d2e3f4a05',
      rv: '100604',
      generation: 3,
    }),
  }),
  {
    verb: 'patch',
    action: 'update',
    name: wildcard.metadata.name,
    uid: 'a1f0c7e2-5555-4b61-9a0e-0c1d2e3f4a05',
    resourceVersion: '100604',
    responseCode: 200,
    reason: null,
  },
);

// 6. server-side apply creating the object (patch answered 201)
const backend = manifest('k8s-website-examples/ingress-resource-backend.yaml');
add(
  'server-side-apply-create',
  event({
    ...NET,
    name: backend.metadata.name,
    verb: 'patch',
    code: 201,
    uri: ingURI(backend.metadata.name, '?fieldManager=kubectl&fieldValidation=Strict&force=false'),
    request: { ...backend, metadata: { ...backend.metadata, namespace: NS } },
    response: stored(backend, { uid: 'a1f0c7e2-6666-4b61-9a0e-0c1d2e3f4a06', rv: '100705' }),
  }),
  {
    verb: 'patch',
    action: 'create',
    name: backend.metadata.name,
    uid: 'a1f0c7e2-6666-4b61-9a0e-0c1d2e3f4a06',
    resourceVersion: '100705',
    responseCode: 201,
    reason: null,
  },
);

// 7. delete: the response is a Status, so the identity comes from objectRef
add(
  'delete',
  event({
    ...NET,
    name: 'minimal-ingress',
    verb: 'delete',
    code: 200,
    uri: ingURI('minimal-ingress'),
    request: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', propagationPolicy: 'Background' },
    response: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name: 'minimal-ingress',
        group: 'networking.k8s.io',
        kind: 'ingresses',
        uid: 'a1f0c7e2-1111-4b61-9a0e-0c1d2e3f4a01',
      },
    },
  }),
  {
    verb: 'delete',
    action: 'delete',
    name: 'minimal-ingress',
    uid: '',
    resourceVersion: '',
    responseCode: 200,
    reason: null,
  },
);

// 8. deletecollection: one entry without a name
add(
  'deletecollection',
  event({
    ...NET,
    name: undefined,
    verb: 'deletecollection',
    code: 200,
    uri: ingURI('', '?labelSelector=app%3Dlegacy'),
    request: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' },
    response: {
      kind: 'IngressList',
      apiVersion: 'networking.k8s.io/v1',
      metadata: { resourceVersion: '100800' },
      items: [stored(vhostAfter, { uid: 'a1f0c7e2-4444-4b61-9a0e-0c1d2e3f4a04', rv: '100801' })],
    },
  }),
  {
    verb: 'deletecollection',
    action: 'delete',
    name: '',
    uid: '',
    resourceVersion: '',
    responseCode: 200,
    reason: null,
  },
);

// 9. status update by the ingress controller
const controller = {
  username: 'system:serviceaccount:ingress-nginx:ingress-nginx',
  uid: '0b6d3f0e-8f61-4c8e-9a53-1c2d3e4f5a6b',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:ingress-nginx', 'system:authenticated'],
};
const tlsStatus = stored(tlsUpd, {
  uid: 'a1f0c7e2-2222-4b61-9a0e-0c1d2e3f4a02',
  rv: '100902',
  generation: 2,
});
tlsStatus.status = { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } };
add(
  'status-update',
  event({
    ...NET,
    name: 'tls-example-ingress',
    subresource: 'status',
    verb: 'update',
    code: 200,
    uri: ingURI('tls-example-ingress/status'),
    request: tlsStatus,
    response: tlsStatus,
    user: controller,
    userAgent:
      'nginx-ingress-controller/v1.10.1 (linux/amd64) ingress-nginx/4fb5aac1dd3669daa3a14d9de3e3cdb371b4c518',
  }),
  {
    verb: 'update',
    action: 'update',
    name: 'tls-example-ingress',
    uid: 'a1f0c7e2-2222-4b61-9a0e-0c1d2e3f4a02',
    resourceVersion: '100902',
    responseCode: 200,
    reason: 'CHG-1042 rotate certificate',
    subresource: 'status',
  },
);

// 10. dry run: not a change
add(
  'dry-run',
  event({
    ...NET,
    name: undefined,
    verb: 'create',
    code: 201,
    uri: ingURI('', '?dryRun=All&fieldManager=kubectl-client-side-apply'),
    request: minimal,
    response: stored(minimal, { uid: 'a1f0c7e2-aaaa-4b61-9a0e-0c1d2e3f4a10', rv: '' }),
  }),
  { skipped: 'dry-run' },
);

// 11. an object named like a dry run is still a change
const preview = { ...minimal, metadata: { name: 'dryrun-preview', namespace: NS } };
add(
  'named-dryrun',
  event({
    ...NET,
    name: undefined,
    verb: 'create',
    code: 201,
    uri: ingURI('', '?fieldManager=kubectl-create'),
    request: preview,
    response: stored(preview, { uid: 'a1f0c7e2-bbbb-4b61-9a0e-0c1d2e3f4a11', rv: '101101' }),
  }),
  {
    verb: 'create',
    action: 'create',
    name: 'dryrun-preview',
    uid: 'a1f0c7e2-bbbb-4b61-9a0e-0c1d2e3f4a11',
    resourceVersion: '101101',
    responseCode: 201,
    reason: null,
  },
);

// 12. a denied attempt (403) is recorded with its response code
const mallory = { username: 'mallory@example.com', groups: ['contractors', 'system:authenticated'] };
const authIng = manifest('ingress-nginx-examples/auth__external-auth__ingress.yaml');
add(
  'forbidden',
  event({
    ...NET,
    name: authIng.metadata.name,
    verb: 'delete',
    code: 403,
    uri: ingURI(authIng.metadata.name),
    user: mallory,
    request: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' },
    response: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `ingresses.networking.k8s.io "${authIng.metadata.name}" is forbidden: User "mallory@example.com" cannot delete resource "ingresses" in API group "networking.k8s.io" in the namespace "${NS}"`,
      reason: 'Forbidden',
      details: { name: authIng.metadata.name, group: 'networking.k8s.io', kind: 'ingresses' },
      code: 403,
    },
  }),
  {
    verb: 'delete',
    action: 'delete',
    name: authIng.metadata.name,
    uid: '',
    resourceVersion: '',
    responseCode: 403,
    reason: null,
  },
);

// 13. a v1beta1 audit event for an extensions/v1beta1 Ingress (old backend shape)
const legacy = {
  apiVersion: 'extensions/v1beta1',
  kind: 'Ingress',
  metadata: { name: 'legacy-web', namespace: NS },
  spec: {
    rules: [
      {
        host: 'hello-world.info',
        http: { paths: [{ path: '/', backend: { serviceName: 'web', servicePort: 8080 } }] },
      },
    ],
  },
};
add(
  'v1beta1-extensions',
  event({
    group: 'extensions',
    version: 'v1beta1',
    resource: 'ingresses',
    name: undefined,
    verb: 'create',
    code: 201,
    uri: `/apis/extensions/v1beta1/namespaces/${NS}/ingresses`,
    request: legacy,
    response: stored(legacy, { uid: 'a1f0c7e2-cccc-4b61-9a0e-0c1d2e3f4a13', rv: '101301' }),
    v1beta1: true,
    userAgent: 'kubectl/v1.15.0 (linux/amd64) kubernetes/e8462b5',
  }),
  {
    verb: 'create',
    action: 'create',
    name: 'legacy-web',
    uid: 'a1f0c7e2-cccc-4b61-9a0e-0c1d2e3f4a13',
    resourceVersion: '101301',
    responseCode: 201,
    reason: null,
  },
);

// 14. IngressClass (cluster-scoped)
const ic = manifest('k8s-website-examples/default-ingressclass.yaml');
add(
  'ingressclass-create',
  event({
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'ingressclasses',
    namespace: '',
    name: undefined,
    verb: 'create',
    code: 201,
    uri: '/apis/networking.k8s.io/v1/ingressclasses',
    request: ic,
    response: stored(ic, { uid: 'a1f0c7e2-dddd-4b61-9a0e-0c1d2e3f4a14', rv: '101401', namespace: '' }),
  }),
  {
    verb: 'create',
    action: 'create',
    name: 'example-class',
    namespace: '',
    uid: 'a1f0c7e2-dddd-4b61-9a0e-0c1d2e3f4a14',
    resourceVersion: '101401',
    responseCode: 201,
    reason: null,
  },
);

// 15-17. Gateway API: a Gateway and an HTTPRoute created, the route then merge-patched
const GW = { group: 'gateway.networking.k8s.io', version: 'v1' };
const gw = manifest('gateway-api-examples/http-routing__gateway.yaml', 0);
add(
  'gateway-create',
  event({
    ...GW,
    resource: 'gateways',
    name: undefined,
    verb: 'create',
    code: 201,
    uri: `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/gateways`,
    request: gw,
    response: stored(gw, { uid: 'a1f0c7e2-eeee-4b61-9a0e-0c1d2e3f4a15', rv: '101501' }),
  }),
  {
    verb: 'create',
    action: 'create',
    name: 'example-gateway',
    uid: 'a1f0c7e2-eeee-4b61-9a0e-0c1d2e3f4a15',
    resourceVersion: '101501',
    responseCode: 201,
    reason: null,
  },
);
const route = manifest('gateway-api-examples/http-routing__foo-httproute.yaml');
add(
  'httproute-create',
  event({
    ...GW,
    resource: 'httproutes',
    name: undefined,
    verb: 'create',
    code: 201,
    uri: `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes`,
    request: route,
    response: stored(route, { uid: 'a1f0c7e2-ffff-4b61-9a0e-0c1d2e3f4a16', rv: '101601' }),
  }),
  {
    verb: 'create',
    action: 'create',
    name: 'foo-route',
    uid: 'a1f0c7e2-ffff-4b61-9a0e-0c1d2e3f4a16',
    resourceVersion: '101601',
    responseCode: 201,
    reason: null,
  },
);
const routePatch = {
  metadata: { annotations: { 'ingress-ledger.dev/reason': 'add bar host' } },
  spec: { hostnames: ['foo.example.com', 'bar.example.com'] },
};
const routeAfter = {
  ...route,
  metadata: { ...route.metadata, annotations: routePatch.metadata.annotations },
  spec: { ...route.spec, hostnames: routePatch.spec.hostnames },
};
add(
  'httproute-patch',
  event({
    ...GW,
    resource: 'httproutes',
    name: 'foo-route',
    verb: 'patch',
    code: 200,
    uri: `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes/foo-route?fieldManager=kubectl-patch`,
    request: routePatch,
    response: stored(routeAfter, {
      uid: 'a1f0c7e2-ffff-4b61-9a0e-0c1d2e3f4a16',
      rv: '101702',
      generation: 2,
    }),
  }),
  {
    verb: 'patch',
    action: 'update',
    name: 'foo-route',
    uid: 'a1f0c7e2-ffff-4b61-9a0e-0c1d2e3f4a16',
    resourceVersion: '101702',
    responseCode: 200,
    reason: 'add bar host',
  },
);

// 18. impersonation
const multi = manifest('ingress-nginx-examples/multi-tls__multi-tls.yaml');
add(
  'impersonated-update',
  event({
    ...NET,
    name: multi.metadata.name,
    verb: 'update',
    code: 200,
    uri: ingURI(multi.metadata.name),
    request: { ...multi, metadata: { ...multi.metadata, namespace: NS } },
    response: stored(multi, { uid: 'a1f0c7e2-1818-4b61-9a0e-0c1d2e3f4a18', rv: '101801', generation: 4 }),
    user: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] },
    extra: { impersonatedUser: { username: 'bob@example.com', groups: ['system:authenticated'] } },
  }),
  {
    verb: 'update',
    action: 'update',
    name: multi.metadata.name,
    uid: 'a1f0c7e2-1818-4b61-9a0e-0c1d2e3f4a18',
    resourceVersion: '101801',
    responseCode: 200,
    reason: null,
    impersonated: 'bob@example.com',
  },
);

// 19. an Ingress too big for one leaf (600 host rules): its bodies move out of the leaf
const big = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'tenant-hosts', namespace: NS },
  spec: { ingressClassName: 'nginx', rules: [] },
};
for (let i = 0; i < 600; i++)
  big.spec.rules.push({
    host: `tenant-${String(i).padStart(4, '0')}.apps.example.com`,
    http: {
      paths: [
        {
          path: '/',
          pathType: 'Prefix',
          backend: { service: { name: `tenant-${i}`, port: { number: 8080 } } },
        },
      ],
    },
  });
add(
  'bodies-out-of-leaf',
  event({
    ...NET,
    name: undefined,
    verb: 'create',
    code: 201,
    uri: ingURI(),
    request: big,
    response: stored(big, { uid: 'a1f0c7e2-1919-4b61-9a0e-0c1d2e3f4a19', rv: '101901' }),
  }),
  {
    verb: 'create',
    action: 'create',
    name: 'tenant-hosts',
    uid: 'a1f0c7e2-1919-4b61-9a0e-0c1d2e3f4a19',
    resourceVersion: '101901',
    responseCode: 201,
    reason: null,
    bodiesOut: 2,
  },
);

// 20-23. audit events that are not changes
add(
  'get-is-read',
  event({ ...NET, name: 'tls-example-ingress', verb: 'get', code: 200, uri: ingURI('tls-example-ingress') }),
  { skipped: 'verb' },
);
add(
  'response-started',
  event({
    ...NET,
    name: undefined,
    verb: 'watch',
    code: 200,
    uri: ingURI('', '?watch=true'),
    stage: 'ResponseStarted',
  }),
  { skipped: 'stage' },
);
add(
  'request-received',
  event({ ...NET, name: undefined, verb: 'create', code: 201, uri: ingURI(), stage: 'RequestReceived' }),
  { skipped: 'stage' },
);
add(
  'configmap-create',
  event({
    group: '',
    version: 'v1',
    resource: 'configmaps',
    name: undefined,
    verb: 'create',
    code: 201,
    uri: `/api/v1/namespaces/${NS}/configmaps`,
    request: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' } },
  }),
  { skipped: 'resource' },
);

writeFileSync(join(here, 'audit-events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
writeFileSync(join(here, 'expected.json'), JSON.stringify(expected, null, 2) + '\n');
console.log(`${events.length} events`);

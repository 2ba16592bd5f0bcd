import { selectCrypto } from '../packages/runtime/index.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();
// The audit events the collector load tests send: Ingress updates at RequestResponse level.

/** An Ingress update as the apiserver audits it at RequestResponse (about 2.5 KiB). */
export function ingressEvent(auditID: string, i: number): Record<string, unknown> {
  const ing = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: `app-${i % 500}`,
      namespace: `team-${i % 20}`,
      annotations: {
        'nginx.ingress.kubernetes.io/rewrite-target': '/',
        'ingress-ledger.dev/reason': `load ${i}`,
      },
    },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [`app-${i % 500}.example.com`], secretName: `app-${i % 500}-tls` }],
      rules: [
        {
          host: `app-${i % 500}.example.com`,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: `app-${i % 500}`, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
  const stored = {
    ...ing,
    metadata: {
      ...ing.metadata,
      uid: `00000000-0000-4000-8000-${String(i % 500).padStart(12, '0')}`,
      resourceVersion: String(1000 + i),
      generation: 2,
    },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } },
  };
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID,
    stage: 'ResponseComplete',
    requestURI: `/apis/networking.k8s.io/v1/namespaces/team-${i % 20}/ingresses/app-${i % 500}`,
    verb: 'update',
    user: { username: 'ci-deployer', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.7'],
    userAgent: 'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350',
    objectRef: {
      resource: 'ingresses',
      namespace: `team-${i % 20}`,
      name: `app-${i % 500}`,
      apiGroup: 'networking.k8s.io',
      apiVersion: 'v1',
    },
    responseStatus: { metadata: {}, code: 200 },
    requestObject: ing,
    responseObject: stored,
    requestReceivedTimestamp: '2025-03-14T09:00:00.000001Z',
    stageTimestamp: '2025-03-14T09:00:00.004001Z',
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
  };
}

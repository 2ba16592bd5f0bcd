// Test support of packages/runtime: a complete alert to start from.
import type { Alert } from './alert-payload.js';

/** A well-formed alert; `over` replaces fields. */
export function sampleAlert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'prod/0b7c1d5e-2f6a-4c1e-9d0a-5a1f3e2d4c6b/nginx-snippet',
    index: 41n,
    rule: 'nginx-snippet',
    severity: 'critical',
    message: 'nginx.ingress.kubernetes.io/configuration-snippet was added',
    path: '/metadata/annotations/nginx.ingress.kubernetes.io~1configuration-snippet',
    cluster: 'prod',
    object: {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'ingresses',
      namespace: 'shop',
      name: 'web',
      uid: '6d1c9a2e-0000-4000-8000-000000000001',
      resourceVersion: '1201',
    },
    verb: 'patch',
    action: 'update',
    user: 'alice@example.com',
    impersonatedUser: null,
    reason: 'hotfix "cache" <b>&</b>',
    stageTimestamp: '2026-12-05T10:00:00.123456Z',
    auditID: '0b7c1d5e-2f6a-4c1e-9d0a-5a1f3e2d4c6b',
    sourceIPs: ['10.0.0.7'],
    responseCode: 200,
    checkpoint: {
      origin: 'example.com/log',
      size: 42n,
      rootHash: Buffer.alloc(32, 7).toString('base64'),
      note: 'example.com/log\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n— example.com/log AAAA\n',
    },
    ...over,
  };
}

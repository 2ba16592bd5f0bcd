// Test support: the shared in-memory log (packages/tlog/testing.ts) and the signed changes the CLI's
// tests fill it with.
import { type Change, canonicalJson } from '../../../packages/change/index.js';
import { type PrivateKey, signNote } from '../../../packages/tlog/index.js';

export { MemoryLog, type MemoryLogOptions } from '../../../packages/tlog/testing.js';

/** A valid change of schema ingress-ledger.change/v1, varied by i. */
export function sampleChange(i: number, cluster = 'prod'): Change {
  const t = new Date(Date.UTC(2026, 0, 1, 12, 0, 0) + i * 1000).toISOString().replace('Z', '000Z');
  const name = `web-${i % 7}`;
  return {
    schema: 'ingress-ledger.change/v1',
    cluster,
    auditID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    verb: i % 3 === 0 ? 'create' : 'patch',
    action: i % 3 === 0 ? 'create' : 'update',
    object: {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'ingresses',
      namespace: 'shop',
      name,
      uid: `uid-${i % 7}`,
      resourceVersion: String(1000 + i),
    },
    user: {
      username: i % 5 === 0 ? 'alice@example.com' : 'system:serviceaccount:ci:deployer',
      groups: ['dev'],
    },
    sourceIPs: ['10.0.0.7'],
    userAgent: 'kubectl/v1.31.0',
    requestReceivedTimestamp: t,
    stageTimestamp: t,
    responseCode: i % 3 === 0 ? 201 : 200,
    reason: i % 2 === 0 ? `release ${i}` : null,
    request: { metadata: { name, annotations: { 'ingress-ledger.dev/reason': `release ${i}` } } },
    response: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: 'shop' },
      spec: { rules: [{ host: `${name}.example.com` }] },
    },
    source: 'audit-webhook',
    observedAt: t,
  };
}

/** Signs a change as a leaf exactly as DESIGN 3.2 says, without the collector's code. */
export function signLeaf(change: unknown, key: PrivateKey): Uint8Array {
  return new TextEncoder().encode(signNote(`${canonicalJson(change)}\n`, key));
}

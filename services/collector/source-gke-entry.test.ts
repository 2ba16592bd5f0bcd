// GKE audit LogEntries as audit Events: what GKE gives maps to the Event's fields, what it leaves
// out stays out, and a malformed entry is a ChangeError naming the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangeError } from '../../packages/change/index.js';
import { gkeEntryToEvent } from './source-gke-entry.js';

type Obj = Record<string, unknown>;

const entry = (payload: Obj = {}, top: Obj = {}): Obj => ({
  insertId: 'abc123',
  timestamp: '2026-12-05T10:00:00.123456Z',
  operation: { id: 'aud-1', producer: 'k8s.io', first: true, last: true },
  ...top,
  protoPayload: {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    methodName: 'io.k8s.networking.v1.ingresses.create',
    resourceName: 'networking.k8s.io/v1/namespaces/shop/ingresses/web',
    authenticationInfo: { principalEmail: 'alice@example.com' },
    requestMetadata: { callerIp: '203.0.113.9', callerSuppliedUserAgent: 'kubectl/v1.31.0' },
    request: { '@type': 'networking.k8s.io/v1.Ingress', kind: 'Ingress', metadata: { name: 'web' } },
    ...payload,
  },
});

describe('a GKE audit entry', () => {
  it('becomes the Event with what GKE keeps', () => {
    assert.deepEqual(gkeEntryToEvent(entry()), {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      auditID: 'aud-1',
      stage: 'ResponseComplete',
      verb: 'create',
      user: { username: 'alice@example.com' },
      sourceIPs: ['203.0.113.9'],
      objectRef: {
        apiGroup: 'networking.k8s.io',
        apiVersion: 'v1',
        resource: 'ingresses',
        namespace: 'shop',
        name: 'web',
      },
      responseStatus: { code: 201 },
      requestReceivedTimestamp: '2026-12-05T10:00:00.123456Z',
      stageTimestamp: '2026-12-05T10:00:00.123456Z',
      userAgent: 'kubectl/v1.31.0',
      requestObject: { kind: 'Ingress', metadata: { name: 'web' } },
    });
  });

  const targets: [string, Obj][] = [
    [
      'networking.k8s.io/v1/ingressclasses/nginx',
      { apiGroup: 'networking.k8s.io', apiVersion: 'v1', resource: 'ingressclasses', name: 'nginx' },
    ],
    [
      'networking.k8s.io/v1/namespaces/shop/ingresses',
      { apiGroup: 'networking.k8s.io', apiVersion: 'v1', resource: 'ingresses', namespace: 'shop' },
    ],
    [
      'networking.k8s.io/v1/namespaces/shop/ingresses/web/status',
      {
        apiGroup: 'networking.k8s.io',
        apiVersion: 'v1',
        resource: 'ingresses',
        namespace: 'shop',
        name: 'web',
        subresource: 'status',
      },
    ],
    ['core/v1/namespaces/shop', { apiGroup: '', apiVersion: 'v1', resource: 'namespaces', name: 'shop' }],
  ];
  for (const [name, ref] of targets) {
    it(`reads resourceName ${name}`, () => {
      assert.deepEqual(gkeEntryToEvent(entry({ resourceName: name })).objectRef, ref);
    });
  }

  const codes: [string, Obj, number][] = [
    ['an update without status', { methodName: 'io.k8s.networking.v1.ingresses.update' }, 200],
    ['PERMISSION_DENIED', { status: { code: 7, message: 'forbidden' } }, 403],
    ['UNAUTHENTICATED', { status: { code: 16 } }, 401],
    ['ALREADY_EXISTS', { status: { code: 6 } }, 409],
    ['a Status response', { status: { code: 3 }, response: { kind: 'Status', code: 422 } }, 422],
  ];
  for (const [name, payload, code] of codes) {
    it(`answers ${code} for ${name}`, () => {
      assert.equal((gkeEntryToEvent(entry(payload)).responseStatus as { code: number }).code, code);
    });
  }

  it('takes the audit ID from operation.id, else the audit label, else insertId', () => {
    assert.equal(gkeEntryToEvent(entry()).auditID, 'aud-1');
    assert.equal(
      gkeEntryToEvent(entry({}, { operation: undefined, labels: { 'audit.k8s.io/id': 'lab-1' } })).auditID,
      'lab-1',
    );
    assert.equal(gkeEntryToEvent(entry({}, { operation: undefined })).auditID, 'abc123');
  });

  it('marks an entry that is not the last of its operation as not complete', () => {
    assert.equal(
      gkeEntryToEvent(entry({}, { operation: { id: 'x', first: true, last: false } })).stage,
      'ResponseStarted',
    );
  });

  const malformed: [string, unknown, string][] = [
    ['a list', [], 'entry'],
    ['no protoPayload', { insertId: 'a' }, 'protoPayload'],
    [
      'another payload type',
      entry({ '@type': 'type.googleapis.com/google.cloud.audit.Other' }),
      'protoPayload.@type',
    ],
    [
      'a GCP method',
      entry({ methodName: 'google.container.v1.ClusterManager.CreateCluster' }),
      'protoPayload.methodName',
    ],
    ['a bad resourceName', entry({ resourceName: 'ingresses' }), 'protoPayload.resourceName'],
    [
      'an empty resourceName part',
      entry({ resourceName: 'networking.k8s.io//ingresses/x' }),
      'protoPayload.resourceName',
    ],
    ['no principal', entry({ authenticationInfo: {} }), 'protoPayload.authenticationInfo.principalEmail'],
    [
      'a numeric principal',
      entry({ authenticationInfo: { principalEmail: 5 } }),
      'protoPayload.authenticationInfo.principalEmail',
    ],
    ['no timestamp', entry({}, { timestamp: undefined }), 'timestamp'],
    ['no identity at all', entry({}, { operation: undefined, insertId: undefined }), 'insertId'],
    ['a status code out of range', entry({ status: { code: 99 } }), 'protoPayload.status.code'],
  ];
  for (const [name, e, field] of malformed) {
    it(`rejects ${name}, naming ${field}`, () => {
      assert.throws(
        () => gkeEntryToEvent(e),
        (err: unknown) =>
          err instanceof ChangeError && err.code === 'SCHEMA' && err.message.startsWith(`${field}:`),
      );
    });
  }
});

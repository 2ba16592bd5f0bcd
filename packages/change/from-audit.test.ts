import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ChangeError } from './errors.js';
import { type AuditContext, auditEventToChange, isDryRun, stripManagedFields } from './from-audit.js';
import { extractReason } from './reason.js';
import { ResourceFilter } from './resources.js';

const ctx: AuditContext = {
  cluster: 'prod',
  source: 'audit-webhook',
  observedAt: '2025-03-14T09:00:00.000Z',
  resources: new ResourceFilter(),
};

// Shaped like the real v1 events in ../shared/testdata/k8s-audit/falco-trace-files.
const base = () => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'RequestResponse',
  auditID: '0eaf743e-1668-4de5-940b-0bb5d79aa4c9',
  stage: 'ResponseComplete',
  requestURI: '/apis/networking.k8s.io/v1/namespaces/web/ingresses/front',
  verb: 'update',
  user: { username: 'alice', groups: ['system:authenticated'] },
  sourceIPs: ['10.0.0.1'],
  userAgent: 'kubectl/v1.30.2',
  objectRef: {
    resource: 'ingresses',
    namespace: 'web',
    name: 'front',
    apiGroup: 'networking.k8s.io',
    apiVersion: 'v1',
  },
  responseStatus: { metadata: {}, code: 200 },
  requestObject: { metadata: { name: 'front' } },
  responseObject: {
    kind: 'Ingress',
    metadata: { name: 'front', namespace: 'web', uid: 'u-1', resourceVersion: '9' },
  },
  requestReceivedTimestamp: '2025-03-14T09:00:00.000001Z',
  stageTimestamp: '2025-03-14T09:00:00.000002Z',
});

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof ChangeError ? err.code : `not a ChangeError: ${String(err)}`;
  }
  return undefined;
};

describe('isDryRun', () => {
  const cases: [string, boolean][] = [
    ['/apis/networking.k8s.io/v1/namespaces/a/ingresses?dryRun=All', true],
    ['/apis/networking.k8s.io/v1/namespaces/a/ingresses?fieldManager=x&dryRun=All', true],
    ['/apis/networking.k8s.io/v1/namespaces/a/ingresses?dryRun', true],
    ['/apis/networking.k8s.io/v1/namespaces/a/ingresses/dryrun-preview', false],
    ['/apis/networking.k8s.io/v1/namespaces/a/ingresses/dryRun', false],
    ['/apis/networking.k8s.io/v1/namespaces/a/ingresses?fieldManager=dryRun', false],
    ['/apis/networking.k8s.io/v1/namespaces/a/ingresses?xdryRun=All', false],
    ['', false],
  ];
  for (const [uri, want] of cases)
    it(`is ${want} for ${uri || 'an empty URI'}`, () => assert.equal(isDryRun(uri), want));
});

describe('extractReason', () => {
  const cases: [string, unknown, string | null][] = [
    ['a full object', { metadata: { annotations: { 'kubernetes.io/change-cause': 'c' } } }, 'c'],
    [
      'both annotations (ours wins)',
      { metadata: { annotations: { 'kubernetes.io/change-cause': 'c', 'ingress-ledger.dev/reason': 'r' } } },
      'r',
    ],
    [
      'a JSON Patch add',
      [{ op: 'add', path: '/metadata/annotations/ingress-ledger.dev~1reason', value: 'p' }],
      'p',
    ],
    [
      'a JSON Patch of the whole map',
      [{ op: 'replace', path: '/metadata/annotations', value: { 'kubernetes.io/change-cause': 'm' } }],
      'm',
    ],
    [
      'a JSON Patch remove',
      [{ op: 'remove', path: '/metadata/annotations/ingress-ledger.dev~1reason' }],
      null,
    ],
    ['a non-string value', { metadata: { annotations: { 'ingress-ledger.dev/reason': 5 } } }, null],
    ['no annotations', { spec: {} }, null],
    ['null', null, null],
    ['hostile JSON Patch items', [null, 7, { op: 'add' }, { op: 'add', path: 5 }], null],
  ];
  for (const [name, body, want] of cases) it(`reads ${name}`, () => assert.equal(extractReason(body), want));
});

describe('auditEventToChange', () => {
  it('builds the change of a well-formed event', () => {
    const out = auditEventToChange(base(), ctx);
    assert.ok('change' in out);
    assert.equal(out.change.action, 'update');
    assert.equal(out.change.object.uid, 'u-1');
    assert.equal(out.change.object.resourceVersion, '9');
    assert.equal(out.change.reason, null);
  });

  it('treats a patch answered 201 as a create (server-side apply)', () => {
    const out = auditEventToChange({ ...base(), verb: 'patch', responseStatus: { code: 201 } }, ctx);
    assert.ok('change' in out && out.change.action === 'create');
  });

  describe('when the event is not a change', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['a RequestReceived stage', { stage: 'RequestReceived' }, 'stage'],
      ['a read', { verb: 'get' }, 'verb'],
      ['a watch', { verb: 'watch' }, 'verb'],
      ['another resource', { objectRef: { resource: 'configmaps', apiVersion: 'v1' } }, 'resource'],
      [
        'an unrecorded subresource',
        { objectRef: { resource: 'ingresses', apiGroup: 'networking.k8s.io', subresource: 'proxy' } },
        'subresource',
      ],
      [
        'a dry run',
        { requestURI: '/apis/networking.k8s.io/v1/namespaces/a/ingresses?dryRun=All' },
        'dry-run',
      ],
      ['a non-resource request', { objectRef: undefined }, 'no-object'],
    ];
    for (const [name, patch, reason] of cases) {
      it(`skips ${name}`, () => {
        const out = auditEventToChange({ ...base(), ...patch }, ctx);
        assert.ok('skipped' in out);
        assert.equal(out.skipped, reason);
      });
    }
  });

  describe('when the event is malformed', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['a wrong kind', { kind: 'AdmissionReview' }],
      ['a numeric kind', { kind: 0 }],
      ['a wrong apiVersion', { apiVersion: 'audit.k8s.io/v2' }],
      ['no auditID', { auditID: undefined }],
      ['a numeric auditID', { auditID: 7 }],
      ['an auditID with a newline', { auditID: 'a\r\nb' }],
      ['an auditID with a space', { auditID: 'a b' }],
      ['an over-long auditID', { auditID: 'a'.repeat(257) }],
      ['a numeric stage', { stage: 3 }],
      ['no verb', { verb: undefined }],
      ['an objectRef that is a string', { objectRef: 'ingresses' }],
      ['an objectRef without resource', { objectRef: { apiGroup: 'networking.k8s.io' } }],
      ['no user', { user: undefined }],
      ['a numeric username', { user: { username: 1 } }],
      ['groups that are not strings', { user: { username: 'a', groups: [1] } }],
      ['extra that is a list', { user: { username: 'a', extra: [] } }],
      ['no responseStatus', { responseStatus: undefined }],
      ['a string response code', { responseStatus: { code: '200' } }],
      ['an impossible response code', { responseStatus: { code: 99 } }],
      ['a fractional response code', { responseStatus: { code: 200.5 } }],
      ['no stageTimestamp', { stageTimestamp: undefined }],
      ['sourceIPs that is a string', { sourceIPs: '10.0.0.1' }],
      ['a numeric userAgent', { userAgent: 5 }],
      ['an impersonatedUser that is a string', { impersonatedUser: 'bob' }],
    ];
    for (const [name, patch] of cases) {
      it(`throws SCHEMA for ${name}`, () =>
        assert.equal(
          codeOf(() => auditEventToChange({ ...base(), ...patch }, ctx)),
          'SCHEMA',
        ));
    }
    for (const v of [null, 5, 'Event', [], true]) {
      it(`throws SCHEMA for ${JSON.stringify(v)}`, () =>
        assert.equal(
          codeOf(() => auditEventToChange(v, ctx)),
          'SCHEMA',
        ));
    }
  });

  it('never throws anything but a ChangeError, whatever the JSON', () => {
    const event = fc.record(
      {
        kind: fc.oneof(fc.constant('Event'), fc.jsonValue()),
        auditID: fc.oneof(fc.uuid(), fc.jsonValue()),
        stage: fc.oneof(fc.constant('ResponseComplete'), fc.jsonValue()),
        verb: fc.oneof(fc.constantFrom('create', 'patch', 'deletecollection'), fc.jsonValue()),
        objectRef: fc.oneof(fc.constant(base().objectRef), fc.jsonValue()),
        user: fc.oneof(fc.constant(base().user), fc.jsonValue()),
        responseStatus: fc.oneof(fc.constant({ code: 201 }), fc.jsonValue()),
        requestObject: fc.jsonValue(),
        responseObject: fc.jsonValue(),
        requestReceivedTimestamp: fc.oneof(fc.string(), fc.jsonValue()),
        stageTimestamp: fc.oneof(fc.string(), fc.jsonValue()),
        requestURI: fc.oneof(fc.string(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(event, (e) => {
        const code = codeOf(() => auditEventToChange(e, ctx));
        assert.ok(code === undefined || code === 'SCHEMA', code);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('stripManagedFields', () => {
  it('removes managedFields without touching its input, also in List items', () => {
    const input = JSON.parse(
      '{"metadata":{"name":"a","managedFields":[{}],"__proto__":{"x":1}},"items":[{"metadata":{"managedFields":[]}}]}',
    );
    const out = stripManagedFields(input) as {
      metadata: Record<string, unknown>;
      items: { metadata: object }[];
    };
    assert.deepEqual(Object.keys(out.metadata), ['name', '__proto__']);
    assert.deepEqual(out.items[0]?.metadata, {});
    assert.ok('managedFields' in input.metadata, 'input unchanged');
  });
});

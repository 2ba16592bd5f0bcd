import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { makeChange } from '../../test/ledger-fixtures.js';
import { REPO_ROOT } from '../../test/support/shared.js';
import { whyFixtures } from '../../test/why-fixtures.js';
import { parseVkey } from '../tlog/index.js';
import { isHumanUser, lacksReason } from './actor.js';
import {
  type AttributionInput,
  attributionOf,
  fieldManagerOf,
  MAX_ATTRIBUTION_CHARS,
} from './attribution.js';
import { canonicalJson } from './canonical.js';
import { isSurelyCanonical } from './canonical-fast.js';
import { ChangeError } from './errors.js';
import { auditEventToChange } from './from-audit.js';
import { openLeaf } from './open-leaf.js';
import { ResourceFilter } from './resources.js';
import { validateChange } from './validate.js';

const ctx = {
  cluster: 'prod',
  source: 'audit-webhook' as const,
  observedAt: '2026-12-05T10:00:00.000Z',
  resources: new ResourceFilter(),
};

const input = (over: Partial<AttributionInput>): AttributionInput => ({
  userAgent: '',
  username: 'alice',
  requestURI: '/apis/networking.k8s.io/v1/namespaces/a/ingresses/b',
  requestReceivedTimestamp: '2026-12-05T10:00:00.5Z',
  request: null,
  response: null,
  ...over,
});

const withMeta = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({
  kind: 'Ingress',
  metadata: { name: 'b', labels, annotations },
});

describe('attribution of the fixtures built from the shared manifests', () => {
  for (const f of whyFixtures()) {
    it(`${f.name} yields the documented attribution and reason`, () => {
      const out = auditEventToChange(f.event, ctx);
      assert.ok('change' in out);
      assert.deepEqual(out.change.attribution, f.attribution);
      assert.equal(out.change.reason, f.reason);
      assert.equal(isHumanUser(out.change.user), f.human);
      assert.equal(lacksReason(out.change), f.human && f.reason === null);
      // The field manager was read before managedFields were stripped from the stored body.
      assert.equal(JSON.stringify(out.change.response).includes('managedFields'), false);
    });
  }
});

describe('attributionOf', () => {
  it('omits the field when nothing names a source', () => {
    assert.equal(attributionOf(input({ userAgent: 'curl/8.5.0' })), undefined);
    const out = auditEventToChange(
      {
        ...whyFixtures()[0]?.event,
        userAgent: 'curl/8.5.0',
        user: { username: 'carol' },
        requestURI: '/apis/networking.k8s.io/v1/namespaces/why-0/ingresses/x',
        requestObject: { metadata: { name: 'x' } },
        responseObject: { kind: 'Ingress', metadata: { name: 'x' } },
      },
      ctx,
    );
    assert.ok('change' in out && !('attribution' in out.change));
  });

  it('does not credit Argo CD for a person editing an object that Argo CD manages', () => {
    const response = withMeta({}, { 'argocd.argoproj.io/tracking-id': 'shop:networking.k8s.io/Ingress:a/b' });
    const a = attributionOf(input({ userAgent: 'kubectl/v1.31.0', response, request: { spec: {} } }));
    assert.equal(a?.tool, 'kubectl');
  });

  it('attributes by labels the request itself sets when the actor is unknown', () => {
    const body = withMeta({ 'helm.toolkit.fluxcd.io/name': 'web', 'helm.sh/chart': 'web-1.0.0' });
    assert.deepEqual(attributionOf(input({ request: body, response: body })), {
      tool: 'flux',
      name: 'web',
      revision: 'web-1.0.0',
    });
  });

  it('reads the Argo CD application from the instance label when there is no tracking id', () => {
    const body = withMeta({ 'app.kubernetes.io/instance': 'shop' });
    const a = attributionOf(
      input({ userAgent: 'argocd-application-controller/v2.12', request: body, response: body }),
    );
    assert.deepEqual(a, { tool: 'argocd', name: 'shop' });
  });

  it('takes a pipeline revision from a JSON Patch and the version label as a fallback', () => {
    const request = [
      { op: 'add', path: '/metadata/annotations/ingress-ledger.dev~1pipeline-url', value: 'https://ci/1' },
      { op: 'replace', path: '/metadata/labels', value: { 'app.kubernetes.io/version': '1.2.3' } },
    ];
    assert.deepEqual(attributionOf(input({ request })), {
      tool: 'ci',
      revision: '1.2.3',
      url: 'https://ci/1',
    });
  });

  it('cuts long values and ignores non-string ones', () => {
    const long = 'x'.repeat(10_000);
    const body = withMeta(
      {},
      { 'ingress-ledger.dev/revision': long, 'ingress-ledger.dev/pipeline': 7 as never },
    );
    const a = attributionOf(input({ request: body }));
    assert.equal(a?.revision?.length, MAX_ATTRIBUTION_CHARS);
    assert.equal(a?.name, undefined);
  });

  describe('fieldManagerOf', () => {
    const mf = (manager: unknown, time: unknown) => ({ metadata: { managedFields: [{ manager, time }] } });
    const cases: [string, Partial<AttributionInput>, string | undefined][] = [
      [
        'the fieldManager query parameter',
        { requestURI: '/x?fieldManager=argocd-controller' },
        'argocd-controller',
      ],
      [
        'an entry stamped in the request second',
        { response: mf('kubectl-edit', '2026-12-05T10:00:00Z') },
        'kubectl-edit',
      ],
      ['only an older entry', { response: mf('old', '2026-12-05T09:59:59Z') }, undefined],
      [
        'a hostile entry',
        { response: { metadata: { managedFields: [null, 5, { manager: 3, time: 'x' }] } } },
        undefined,
      ],
      ['managedFields of the wrong type', { response: { metadata: { managedFields: 'x' } } }, undefined],
      [
        'an unparsable request time',
        { requestReceivedTimestamp: 'nope', response: mf('a', '2026-12-05T10:00:00Z') },
        undefined,
      ],
    ];
    for (const [name, over, want] of cases)
      it(`reads ${name}`, () => assert.equal(fieldManagerOf(input(over)), want));
  });

  it('never throws on hostile bodies', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.string(), fc.string(), (request, response, ua, uri) => {
        const a = attributionOf(input({ request, response, userAgent: ua, requestURI: uri }));
        if (a !== undefined) validateChange({ ...makeChange('c', 'a'), attribution: a });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the attribution field in a leaf', () => {
  it('still opens a leaf made before it, which means what it meant', () => {
    // Signed in November 2026 by a collector without attribution (fixtures/leaf-before-attribution.*).
    const dir = join(REPO_ROOT, 'packages', 'change', 'fixtures');
    const leaf = readFileSync(join(dir, 'leaf-before-attribution.note'));
    const vkey = parseVkey(readFileSync(join(dir, 'leaf-before-attribution.vkey'), 'utf8').trim());
    const opened = openLeaf(leaf, [vkey]);
    assert.equal('attribution' in opened.change, false);
    assert.equal(opened.change.reason, 'made before the attribution field existed');
    assert.equal(`${canonicalJson(opened.change)}\n`, opened.text);
  });

  it('is shown canonical by the fast path', () => {
    const c = { ...makeChange('prod', 'a1'), attribution: { tool: 'argocd', name: 'shop', revision: 'abc' } };
    assert.equal(isSurelyCanonical(canonicalJson(c)), true);
  });

  const bad: [string, unknown][] = [
    ['null', null],
    ['a string', 'argocd'],
    ['no tool', { name: 'x' }],
    ['an empty tool', { tool: '' }],
    ['a long tool', { tool: 'x'.repeat(65) }],
    ['a number name', { tool: 'ci', name: 5 }],
    ['a long url', { tool: 'ci', url: 'x'.repeat(1025) }],
  ];
  for (const [name, attribution] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => validateChange({ ...makeChange('c', 'a'), attribution }),
        (e: unknown) =>
          e instanceof ChangeError && e.code === 'SCHEMA' && e.message.startsWith('attribution'),
      );
    });
  }
});

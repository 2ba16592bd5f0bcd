// GetObjectHistory: a create → merge patch → JSON patch → (denied update) → update → delete sequence
// gives every version in order, each diffed against the previous stored object.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { canonicalJson } from '../../../packages/change/index.js';
import { GetObjectHistoryRequestSchema, SearchEntriesRequestSchema } from '../../../packages/proto/index.js';
import { changeOf, edited } from '../../../packages/risk/testing/index.js';
import { openTestLedger, type TestLedger } from '../testing/index.js';
import { SearchError, type SearchErrorCode } from './errors.js';

const NGX = 'nginx.ingress.kubernetes.io/';
const v1 = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'shop',
    namespace: 'shop',
    uid: 'u-1',
    resourceVersion: '10',
    annotations: { [`${NGX}auth-url`]: 'https://auth' },
  },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    rules: [{ host: 'shop.example.com' }],
  },
};
// A merge patch adding a snippet: the stored object gains the annotation.
const v2 = edited(v1, (o) => {
  o.metadata.resourceVersion = '11';
  o.metadata.annotations[`${NGX}configuration-snippet`] = 'more_set_headers "A: b";';
});
// A JSON patch removing the TLS section and adding a host.
const v3 = edited(v2, (o) => {
  o.metadata.resourceVersion = '12';
  delete o.spec.tls;
  o.spec.rules.push({ host: 'admin.shop.example.com' });
});
// A full update dropping auth-url.
const v4 = edited(v3, (o) => {
  o.metadata.resourceVersion = '13';
  delete o.metadata.annotations[`${NGX}auth-url`];
});

describe('GetObjectHistory', () => {
  let l: TestLedger;
  const history = (fields: Record<string, string>, size?: bigint) =>
    l.index.history(create(GetObjectHistoryRequestSchema, fields), size ?? l.size()).versions;

  before(() => {
    l = openTestLedger();
    // Another object in the same namespace, and the same name in another cluster, interleaved.
    const other = edited(v1, (o) => {
      o.metadata.name = 'blog';
      o.metadata.uid = 'u-2';
    });
    const big = edited(v4, (o) => (o.metadata.annotations.padding = 'x'.repeat(70_000)));
    const bigJson = new TextEncoder().encode(canonicalJson(big));
    const sha = createHash('sha256').update(bigJson).digest('hex');
    l.append([changeOf({ object: v1 }), changeOf({ object: other })]);
    l.append([
      changeOf({
        object: v2,
        verb: 'patch',
        request: { metadata: { annotations: v2.metadata.annotations } },
      }),
    ]);
    l.append([changeOf({ object: v1, cluster: 'c2' })]);
    l.append([
      changeOf({
        object: v3,
        verb: 'patch',
        request: [
          { op: 'remove', path: '/spec/tls' },
          { op: 'add', path: '/spec/rules/-', value: { host: 'admin.shop.example.com' } },
        ],
      }),
      changeOf({ object: v1, verb: 'update', responseCode: 403, user: { username: 'mallory' } }),
    ]);
    // The update's stored object went out of the leaf (DESIGN 3.2): its body is resolved by digest.
    l.append(
      [changeOf({ object: big, verb: 'update', response: { sha256: sha, size: bigJson.length } })],
      new Map([[sha, bigJson]]),
    );
    l.append([changeOf({ object: v4, verb: 'delete', response: { kind: 'Status', status: 'Success' } })]);
  });
  after(() => l.close());

  it('lists every version of the object in log order', () => {
    const vs = history({ cluster: 'c1', namespace: 'shop', name: 'shop' });
    assert.deepEqual(
      vs.map((v) => v.index),
      [0n, 2n, 4n, 5n, 6n, 7n],
    );
  });

  it('diffs each version against the previous stored object', () => {
    const [create0, merge, json, denied, update, del] = history({
      cluster: 'c1',
      namespace: 'shop',
      name: 'shop',
    });
    assert.deepEqual(
      create0?.diff.map((d) => [d.op, d.path]),
      [['add', '']],
    );
    assert.deepEqual(merge?.diff, [
      {
        op: 'add',
        path: `/metadata/annotations/${NGX.replace('/', '~1')}configuration-snippet`,
        to: '"more_set_headers \\"A: b\\";"',
      },
    ]);
    assert.deepEqual(
      json?.diff.map((d) => [d.op, d.path, d.from ?? d.to]),
      [
        ['add', '/spec/rules/1', '{"host":"admin.shop.example.com"}'],
        ['remove', '/spec/tls', '[{"hosts":["shop.example.com"],"secretName":"shop-tls"}]'],
      ],
    );
    assert.deepEqual(denied?.diff, []);
    assert.deepEqual(
      update?.diff.map((d) => [d.op, d.path]),
      [
        ['remove', `/metadata/annotations/${NGX.replace('/', '~1')}auth-url`],
        ['add', '/metadata/annotations/padding'],
      ],
    );
    assert.equal(del?.diff.length, 1);
    assert.equal(del?.diff[0]?.op, 'remove');
    assert.equal(del?.diff[0]?.path, '');
  });

  it('shows the findings of each version', () => {
    const [, merge, json, denied, update] = history({ cluster: 'c1', namespace: 'shop', name: 'shop' });
    assert.ok(merge?.findings.some((f) => f.rule === 'nginx-snippet'));
    assert.ok(json?.findings.some((f) => f.rule === 'tls-removed' && f.path === '/spec/tls/0/hosts/0'));
    assert.ok(json?.findings.some((f) => f.rule === 'host-exposed'));
    assert.ok(denied?.findings.some((f) => f.rule === 'denied-attempt'));
    assert.ok(update?.findings.some((f) => f.rule === 'auth-removed'));
  });

  it('finds a version by the host of an out-of-leaf body', () => {
    const res = l.index.search(
      create(SearchEntriesRequestSchema, { host: 'admin.shop.example.com', verb: 'update' }),
      l.size(),
    );
    assert.deepEqual(
      res.results.map((r) => r.index),
      [6n],
    );
  });

  it('finds the versions by uid, across clusters', () => {
    assert.equal(history({ uid: 'u-1' }).length, 7);
  });

  it('sees only published entries, and the previous version behind the cut', () => {
    assert.deepEqual(
      history({ cluster: 'c1', namespace: 'shop', name: 'shop' }, 3n).map((v) => v.index),
      [0n, 2n],
    );
  });

  it('answers an unknown object with no versions', () => {
    assert.deepEqual(history({ namespace: 'shop', name: 'nope' }), []);
  });

  describe('refuses bad requests with a SearchError code', () => {
    const refused = (code: SearchErrorCode, fields: Record<string, string>) =>
      assert.throws(
        () => history(fields),
        (e: unknown) => e instanceof SearchError && e.code === code,
      );
    it('neither name nor uid: MISSING_FIELD', () => refused('MISSING_FIELD', { namespace: 'shop' }));
    it('a 10 KB name: TOO_LONG', () => refused('TOO_LONG', { namespace: 'shop', name: 'x'.repeat(10_240) }));
    it('a 10 KB uid: TOO_LONG', () => refused('TOO_LONG', { uid: 'x'.repeat(10_240) }));
  });
});

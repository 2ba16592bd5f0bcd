import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateKey, openNote, parseVkey } from '../tlog/index.js';
import { canonicalJson } from './canonical.js';
import { CHANGE_SCHEMA, type Change, MAX_LEAF_BYTES } from './change.js';
import { ChangeError } from './errors.js';
import { makeLeaf } from './make-leaf.js';
import { openLeaf } from './open-leaf.js';

const key = generateKey('collector/prod');

const change = (request: unknown, response: unknown, userAgent = 'kubectl'): Change => ({
  schema: CHANGE_SCHEMA,
  cluster: 'prod',
  auditID: 'a-1',
  verb: 'update',
  action: 'update',
  object: {
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'ingresses',
    namespace: 'web',
    name: 'front',
    uid: 'u',
    resourceVersion: '1',
  },
  user: { username: 'alice' },
  sourceIPs: ['10.0.0.1'],
  userAgent,
  requestReceivedTimestamp: '2025-03-14T09:00:00.000001Z',
  stageTimestamp: '2025-03-14T09:00:00.000002Z',
  responseCode: 200,
  reason: null,
  request,
  response,
  source: 'audit-webhook',
  observedAt: '2025-03-14T09:00:01.000Z',
});
const blob = (n: number) => ({ data: 'x'.repeat(n) });
const parsed = (leaf: Uint8Array) => JSON.parse(openNote(leaf, [parseVkey(key.vkey)]).note.text) as Change;

describe('makeLeaf', () => {
  it('signs one canonical JSON line as a note by collector/<cluster>', () => {
    const c = change({ b: 1, a: 2 }, null);
    const { leaf, bodies } = makeLeaf(c, key);
    const text = new TextDecoder().decode(leaf);
    assert.ok(text.startsWith(`${canonicalJson(c)}\n\n— collector/prod `));
    assert.equal(bodies.length, 0);
    assert.deepEqual(parsed(leaf), c);
  });

  it('passes the ledger admission (openLeaf)', (t) => {
    const { leaf } = makeLeaf(change(blob(10), blob(10)), key);
    try {
      assert.equal(openLeaf(leaf, [parseVkey(key.vkey)]).change.auditID, 'a-1');
    } catch (err) {
      if (err instanceof ChangeError && err.message === 'not implemented')
        t.skip('openLeaf is not implemented yet');
      else throw err;
    }
  });

  it('moves only the larger body out when that is enough', () => {
    const { leaf, bodies } = makeLeaf(change(blob(10_000), blob(70_000)), key);
    assert.ok(leaf.length <= MAX_LEAF_BYTES);
    assert.equal(bodies.length, 1);
    const c = parsed(leaf);
    assert.deepEqual(c.request, blob(10_000));
    const body = bodies[0]!;
    assert.deepEqual(c.response, { sha256: body.sha256, size: body.data.length });
    assert.equal(createHash('sha256').update(body.data).digest('hex'), body.sha256);
    assert.equal(new TextDecoder().decode(body.data), canonicalJson(blob(70_000)));
  });

  it('moves both bodies out when it must, the larger first', () => {
    const { leaf, bodies } = makeLeaf(change(blob(66_000), blob(67_000)), key);
    assert.ok(leaf.length <= MAX_LEAF_BYTES);
    assert.equal(bodies.length, 2);
    assert.ok(bodies[0]!.data.length > bodies[1]!.data.length);
  });

  it('fills a leaf to exactly the limit without moving anything', () => {
    const small = makeLeaf(change(blob(0), null), key).leaf.length;
    const { leaf, bodies } = makeLeaf(change(blob(MAX_LEAF_BYTES - small), null), key);
    assert.equal(leaf.length, MAX_LEAF_BYTES);
    assert.equal(bodies.length, 0);
    const over = makeLeaf(change(blob(MAX_LEAF_BYTES - small + 1), null), key);
    assert.equal(over.bodies.length, 1);
  });

  it('throws TOO_LARGE when the change does not fit even without bodies', () => {
    assert.throws(
      () => makeLeaf(change(null, null, 'u'.repeat(MAX_LEAF_BYTES)), key),
      (err: unknown) => err instanceof ChangeError && err.code === 'TOO_LARGE',
    );
  });

  it('throws CLUSTER_MISMATCH for a key of another cluster', () => {
    assert.throws(
      () => makeLeaf(change(null, null), generateKey('collector/staging')),
      (err: unknown) => err instanceof ChangeError && err.code === 'CLUSTER_MISMATCH',
    );
  });
});

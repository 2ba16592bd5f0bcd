// The structural diff of stored objects: RFC 6901 pointers, JSON text values, bookkeeping ignored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffObjects, MAX_DIFF_DEPTH } from './diff.js';

const base = {
  kind: 'Ingress',
  metadata: {
    name: 'shop',
    resourceVersion: '1',
    annotations: { 'nginx.ingress.kubernetes.io/auth-url': 'https://a' },
  },
  spec: { rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }] },
};

describe('diffObjects', () => {
  it('shows an annotation change under its escaped key', () => {
    const next = structuredClone(base);
    next.metadata.annotations['nginx.ingress.kubernetes.io/auth-url'] = 'https://b';
    next.metadata.resourceVersion = '2';
    assert.deepEqual(diffObjects(base, next), [
      {
        op: 'replace',
        path: '/metadata/annotations/nginx.ingress.kubernetes.io~1auth-url',
        from: '"https://a"',
        to: '"https://b"',
      },
    ]);
  });

  it('escapes ~ as ~0', () => {
    const ops = diffObjects({ a: 1 }, { a: 1, 'x~y/z': true });
    assert.deepEqual(ops, [{ op: 'add', path: '/x~0y~1z', to: 'true' }]);
  });

  it('removes array tails from the end and adds new items in order', () => {
    const fewer = { ...base, spec: { rules: [{ host: 'a.example.com' }] } };
    assert.deepEqual(diffObjects(base, fewer), [
      { op: 'remove', path: '/spec/rules/1', from: '{"host":"b.example.com"}' },
    ]);
    assert.deepEqual(diffObjects(fewer, base), [
      { op: 'add', path: '/spec/rules/1', to: '{"host":"b.example.com"}' },
    ]);
  });

  it('replaces a value whose type changed', () => {
    assert.deepEqual(diffObjects({ a: [1] }, { a: { 0: 1 } }), [
      { op: 'replace', path: '/a', from: '[1]', to: '{"0":1}' },
    ]);
  });

  it('adds or removes the root for a create or a delete', () => {
    assert.deepEqual(diffObjects(null, { a: 1 }), [{ op: 'add', path: '', to: '{"a":1}' }]);
    assert.deepEqual(diffObjects({ a: 1 }, null), [{ op: 'remove', path: '', from: '{"a":1}' }]);
    assert.deepEqual(diffObjects(null, null), []);
  });

  it('is empty for equal objects and for bookkeeping-only changes', () => {
    assert.deepEqual(diffObjects(base, structuredClone(base)), []);
    const touched = structuredClone(base) as typeof base & { metadata: { generation?: number } };
    touched.metadata.resourceVersion = '9';
    touched.metadata.generation = 4;
    assert.deepEqual(diffObjects(base, touched), []);
  });

  it('stays bounded on hostile nesting', () => {
    let a: unknown = 1;
    let b: unknown = 2;
    for (let i = 0; i < 5000; i++) {
      a = { x: a };
      b = { x: b };
    }
    const ops = diffObjects(a, b);
    assert.equal(ops.length, 1);
    assert.equal(ops[0]?.path.split('/').length, MAX_DIFF_DEPTH + 1);
  });
});

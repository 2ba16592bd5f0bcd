// Body references: one definition for the collector that makes them, the ledger that fetches and
// serves them, the risk rules that skip them and the auditors that resolve them. Leaves here come
// from makeLeaf, the code collectors sign with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeChange } from '../../test/ledger-fixtures.js';
import { generateKey } from '../tlog/index.js';
import { bodyRefs, bodyRefsOfLeaf, isBodyRef } from './body-refs.js';
import { type Change, MAX_LEAF_BYTES } from './change.js';
import { makeLeaf } from './make-leaf.js';

const key = generateKey('collector/prod');
const enc = new TextEncoder();

/** The fixtures' change with this request and response. */
const change = (request: unknown, response: unknown): Change => ({
  ...makeChange('prod', 'a-1'),
  request,
  response,
});

describe('isBodyRef', () => {
  const cases: [string, unknown, boolean][] = [
    ['a reference', { sha256: 'ab', size: 2 }, true],
    ['a stored object', { metadata: { name: 'x' } }, false],
    ['an extra key', { sha256: 'ab', size: 2, kind: 'Ingress' }, false],
    ['a size as text', { sha256: 'ab', size: '2' }, false],
    ['a digest as a number', { sha256: 1, size: 2 }, false],
    ['an array', ['sha256', 'size'], false],
    ['null', null, false],
    ['text', 'sha256', false],
  ];
  for (const [name, v, want] of cases) {
    it(`${want ? 'takes' : 'refuses'} ${name}`, () => assert.equal(isBodyRef(v), want));
  }
});

describe('bodyRefs of a leaf', () => {
  it('names exactly the bodies makeLeaf moved out, from the change and from the stored leaf', () => {
    const big = { data: 'x'.repeat(MAX_LEAF_BYTES) };
    const made = makeLeaf(change(big, big), key);
    assert.equal(made.bodies.length, 2);
    const fromLeaf = bodyRefsOfLeaf(made.leaf);
    assert.deepEqual(fromLeaf.map((r) => r.sha256).sort(), made.bodies.map((b) => b.sha256).sort());
    for (const ref of fromLeaf) {
      const body = made.bodies.find((b) => b.sha256 === ref.sha256);
      assert.equal(ref.size, body?.data.length);
    }
  });

  it('finds none in a leaf that kept its bodies', () => {
    const made = makeLeaf(change({ spec: { rules: [] } }, null), key);
    assert.equal(made.bodies.length, 0);
    assert.deepEqual(bodyRefsOfLeaf(made.leaf), []);
  });

  it('finds none where "sha256" appears but not as a reference', () => {
    const made = makeLeaf(change({ metadata: { annotations: { sha256: 'x' } } }, null), key);
    assert.deepEqual(bodyRefsOfLeaf(made.leaf), []);
  });

  const hostile: [string, Uint8Array][] = [
    ['empty bytes', new Uint8Array(0)],
    ['truncated JSON', enc.encode('{"request":{"sha256":"ab","si\n')],
    ['invalid UTF-8', Uint8Array.of(0x22, 0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x22, 0xff, 0x0a)],
    ['a JSON array', enc.encode('[{"sha256":"ab","size":1}]\n')],
    ['no newline', enc.encode('{"request":{"sha256":"ab","size":1}}')],
  ];
  for (const [name, bytes] of hostile) {
    it(`never throws on ${name}`, () => {
      assert.doesNotThrow(() => bodyRefsOfLeaf(bytes));
    });
  }

  it('reads the request before the response', () => {
    assert.deepEqual(
      bodyRefs({ request: { sha256: 'aa', size: 1 }, response: { sha256: 'bb', size: 2 } }).map(
        (r) => r.sha256,
      ),
      ['aa', 'bb'],
    );
  });
});

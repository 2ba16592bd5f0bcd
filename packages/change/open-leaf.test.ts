import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeChange, signChange, signText } from '../../test/ledger-fixtures.js';
import { generateKey, parseVkey } from '../tlog/index.js';
import { canonicalJson } from './canonical.js';
import { CHANGE_SOURCES, MAX_LEAF_BYTES } from './change.js';
import { openLeaf } from './open-leaf.js';
import { validateChange } from './validate.js';

const key = generateKey('collector/c1');
const other = generateKey('collector/c2');
const stranger = generateKey('collector/c1');
const keys = [parseVkey(key.vkey), parseVkey(other.vkey)];
const utf8 = new TextEncoder();

function tamper(leaf: Uint8Array): Uint8Array {
  const copy = leaf.slice();
  copy[20] = copy[20] === 0x61 ? 0x62 : 0x61;
  return copy;
}

describe('openLeaf', () => {
  for (const source of CHANGE_SOURCES) {
    it(`opens a leaf whose source is ${source}`, () => {
      const leaf = signChange({ ...makeChange('c1', `s-${source}`), source }, key);
      assert.equal(openLeaf(leaf, keys).change.source, source);
    });
  }

  it('opens a valid leaf and names its key', () => {
    const leaf = signChange(makeChange('c1', 'a1'), key);
    const opened = openLeaf(leaf, keys);
    assert.equal(opened.change.auditID, 'a1');
    assert.equal(opened.key.name, 'collector/c1');
  });

  const change = makeChange('c1', 'a2');
  const cases: [string, () => Uint8Array, string][] = [
    ['oversize', () => signChange(makeChange('c1', 'big', MAX_LEAF_BYTES + 10), key), 'TOO_LARGE'],
    ['empty bytes', () => new Uint8Array(0), 'BAD_NOTE'],
    ['not a note', () => utf8.encode('hello\n'), 'BAD_NOTE'],
    ['invalid UTF-8', () => new Uint8Array([0xff, 0xfe, 0x0a, 0x0a]), 'BAD_NOTE'],
    ['truncated', () => signChange(change, key).slice(0, 120), 'BAD_NOTE'],
    ['bad signature', () => tamper(signChange(change, key)), 'BAD_SIGNATURE'],
    ['unknown key', () => signChange(change, stranger), 'UNKNOWN_KEY'],
    ['another cluster key', () => signChange(change, other), 'CLUSTER_MISMATCH'],
    ['two lines', () => signText(`${canonicalJson(change)}\n{}\n`, key), 'BAD_JSON'],
    ['malformed JSON', () => signText('{"schema":\n', key), 'BAD_JSON'],
    [
      'non-canonical JSON',
      () => signText(`${JSON.stringify(change, null, 1).replaceAll('\n', '')}\n`, key),
      'NOT_CANONICAL',
    ],
    ['duplicate keys', () => signText(`{"a":1,"a":2}\n`, key), 'NOT_CANONICAL'],
    ['wrong schema', () => signChange({ ...change, schema: 'other/v9' }, key), 'SCHEMA'],
    ['array', () => signText('[1,2]\n', key), 'SCHEMA'],
    ['missing object', () => signChange({ ...change, object: undefined }, key), 'SCHEMA'],
    ['number as cluster', () => signChange({ ...change, cluster: 7 }, key), 'SCHEMA'],
    ['bad verb', () => signChange({ ...change, verb: 'get' }, key), 'SCHEMA'],
    ['fractional code', () => signChange({ ...change, responseCode: 200.5 }, key), 'SCHEMA'],
    ['cluster with a dot', () => signChange({ ...change, cluster: 'a.b' }, key), 'SCHEMA'],
    ['unknown source', () => signChange({ ...change, source: 'carrier-pigeon' }, key), 'SCHEMA'],
  ];
  for (const [name, make, code] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      assert.throws(() => openLeaf(make(), keys), { name: 'ChangeError', code });
    });
  }
});

describe('validateChange', () => {
  it('accepts extra fields and a null reason', () => {
    assert.ok(validateChange({ ...makeChange('c', 'a'), extra: true }));
  });
  for (const field of ['auditID', 'user', 'sourceIPs', 'request', 'source', 'observedAt'] as const) {
    it(`rejects a change without ${field}`, () => {
      const c: Record<string, unknown> = { ...makeChange('c', 'a') };
      delete c[field];
      assert.throws(() => validateChange(c), { code: 'SCHEMA', message: new RegExp(field) });
    });
  }
});

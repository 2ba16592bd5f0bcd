import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedJson, nestsDeeperThan } from './index.js';

const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

describe('nesting depth', () => {
  const cases: { label: string; value: unknown; max: number; deeper: boolean }[] = [
    { label: 'a scalar', value: 'x', max: 0, deeper: false },
    { label: 'null', value: null, max: 0, deeper: false },
    { label: 'an empty object at the limit', value: {}, max: 1, deeper: false },
    { label: 'two levels against one', value: { a: [] }, max: 1, deeper: true },
    {
      label: 'a wide, shallow object',
      value: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [i, [i]])),
      max: 2,
      deeper: false,
    },
    { label: 'a million levels (no recursion)', value: nested(1_000_000), max: 100, deeper: true },
  ];
  for (const c of cases) {
    it(`${c.label}: ${c.deeper ? 'deeper' : 'within'}`, () => {
      assert.equal(nestsDeeperThan(c.value, c.max), c.deeper);
    });
  }

  it('boundedJson is JSON.stringify within the limit, and cuts what is deeper', () => {
    assert.equal(boundedJson({ a: [1, { b: 2 }] }), '{"a":[1,{"b":2}]}');
    assert.equal(boundedJson([[[1]]], 2), '[["[nested deeper than 2 levels: cut]"]]');
    assert.doesNotThrow(() => boundedJson(nested(200_000)));
  });
});

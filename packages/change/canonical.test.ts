import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import canonicalizeLib from 'canonicalize';
import fc from 'fast-check';
import { REPO_ROOT } from '../../test/support/shared.js';
import { canonicalJson } from './canonical.js';
import { auditEventToChange } from './from-audit.js';
import { DEFAULT_RESOURCES, ResourceFilter } from './resources.js';

// The reference implementation of RFC 8785 (by one of its authors): the oracle for our serializer.
const reference = canonicalizeLib as unknown as (value: unknown) => string | undefined;

describe('canonical JSON', () => {
  describe('when given the examples of RFC 8785 and the corners of ordering and numbers', () => {
    const cases: { name: string; value: unknown; text: string }[] = [
      {
        name: 'RFC 8785 3.2.2 numbers',
        value: { numbers: [333333333.3333333, 1e30, 4.5, 0.002, 1e-27] },
        text: '{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}',
      },
      { name: 'negative zero', value: [-0, 0], text: '[0,0]' },
      {
        name: 'RFC 8785 3.2.3 member order by UTF-16 code units',
        value: {
          '\u20ac': 'Euro Sign',
          '\r': 'Carriage Return',
          '\ufb33': 'Hebrew Letter Dalet With Dagesh',
          '1': 'One',
          '\ud83d\ude00': 'Emoji: Grinning Face',
          '\u0080': 'Control',
          '\u00f6': 'Latin Small Letter O With Diaeresis',
        },
        text: '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      },
      // Integer-like names come first in a JavaScript object's own order; JCS sorts them as text.
      {
        name: 'integer-like member names',
        value: { b: 1, '10': 2, '9': 3, a: 4 },
        text: '{"10":2,"9":3,"a":4,"b":1}',
      },
      {
        name: 'escapes',
        value: { 'a"b': 'line\nbreak\u0001\\' },
        text: '{"a\\"b":"line\\nbreak\\u0001\\\\"}',
      },
      {
        name: 'nesting and empties',
        value: { z: [], y: {}, x: [null, true, false] },
        text: '{"x":[null,true,false],"y":{},"z":[]}',
      },
      { name: 'undefined members are left out', value: { a: undefined, b: 1 }, text: '{"b":1}' },
    ];
    for (const c of cases) {
      it(`writes ${c.name} as the reference does`, () => {
        assert.equal(canonicalJson(c.value), c.text);
        assert.equal(canonicalJson(c.value), reference(c.value));
      });
    }
  });

  describe('when given a value JSON cannot represent', () => {
    for (const [name, value] of [
      ['NaN', Number.NaN],
      ['Infinity', [Number.POSITIVE_INFINITY]],
      ['undefined', undefined],
      ['a bigint', { n: 1n }],
    ] as const) {
      it(`throws on ${name}`, () => assert.throws(() => canonicalJson(value)));
    }
  });

  describe('when given any JSON value', () => {
    it('writes what the reference writes', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          assert.equal(canonicalJson(v), reference(v));
        }),
        { numRuns: 2000 },
      );
    });
    it('writes what the reference writes for text from JSON.parse, unicode member names included', () => {
      fc.assert(
        fc.property(fc.json({ stringUnit: 'binary' }), (text) => {
          const v: unknown = JSON.parse(text);
          assert.equal(canonicalJson(v), reference(v));
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('when given the changes of the collector fixtures', () => {
    it('writes what the reference writes', () => {
      const lines = readFileSync(
        join(REPO_ROOT, 'services', 'collector', 'testdata', 'audit-events.jsonl'),
        'utf8',
      )
        .split('\n')
        .filter((l) => l !== '');
      const resources = new ResourceFilter(DEFAULT_RESOURCES);
      let changes = 0;
      for (const line of lines) {
        const event: unknown = JSON.parse(line);
        assert.equal(canonicalJson(event), reference(event));
        let outcome: ReturnType<typeof auditEventToChange>;
        try {
          outcome = auditEventToChange(event, {
            cluster: 'c',
            source: 'audit-webhook',
            observedAt: '2025-03-14T09:00:01.000Z',
            resources,
          });
        } catch {
          continue; // a malformed fixture: not a change
        }
        if ('change' in outcome) {
          changes++;
          assert.equal(canonicalJson(outcome.change), reference(outcome.change));
        }
      }
      assert.ok(changes > 10, 'the fixtures hold changes');
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { makeChange } from '../../test/ledger-fixtures.js';
import { canonicalJson } from './canonical.js';
import { isSurelyCanonical } from './canonical-fast.js';

/** The definition: the text is JSON and the library reproduces it exactly. */
function libraryCanonical(text: string): boolean {
  try {
    return canonicalJson(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}

/** The scan may say "not shown" to a canonical text, never "canonical" to one that is not. */
function agrees(text: string): void {
  if (isSurelyCanonical(text))
    assert.equal(libraryCanonical(text), true, `scan accepted ${JSON.stringify(text)}`);
}

/** Pieces of JSON text, valid and not, that hostile input is built from. */
const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  ' ',
  '\n',
  '\t',
  '"a"',
  '"b"',
  '"B"',
  '"a"',
  '"é"',
  '"\u{1f600}"',
  '"\ud800"',
  '"\udc00"',
  '"\\ud800"',
  '"\\u0041"',
  '"\\n"',
  '"\\/"',
  '"\\""',
  '"\\\\"',
  '"\\b"',
  '"\\u001f"',
  '"\\u007f"',
  '"\u2028"',
  '"\u007f"',
  '"a\\u0000"',
  '"__proto__"',
  '"10"',
  '"2"',
  '""',
  '0',
  '-0',
  '1',
  '-1',
  '01',
  '1.0',
  '1.5',
  '1e2',
  '1E2',
  '-',
  '9007199254740993',
  '123456789012345',
  '1234567890123456',
  'true',
  'false',
  'null',
  'tru',
  'nul',
];

const tokenText = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join(''));

/** Canonical text of a random value, then one edit that may or may not keep it canonical. */
const editedCanonical = fc
  .tuple(
    fc.jsonValue(),
    fc.nat(),
    fc.constantFrom(...TOKENS),
    fc.constantFrom('insert', 'delete', 'swap', 'none'),
  )
  .map(([value, at, token, edit]) => {
    const text = canonicalJson(value);
    const i = text.length === 0 ? 0 : at % text.length;
    if (edit === 'insert') return text.slice(0, i) + token + text.slice(i);
    if (edit === 'delete') return text.slice(0, i) + text.slice(i + 1);
    if (edit === 'swap')
      return text.slice(0, i) + text.slice(i + 1, i + 2) + text.charAt(i) + text.slice(i + 2);
    return text;
  });

/** Objects written with their keys in insertion order, duplicates allowed: sorted or not, by chance. */
const rawObject = fc
  .array(
    fc.tuple(fc.constantFrom('a', 'b', 'B', 'aa', '\u00e9', '\ud83d\ude00', '_', '10', '2'), fc.jsonValue()),
    {
      maxLength: 6,
    },
  )
  .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`);

describe('isSurelyCanonical', () => {
  describe('when the text is the library output for a value', () => {
    it('never contradicts the library, and shows the common shapes canonical', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          const text = canonicalJson(v);
          agrees(text);
        }),
        { numRuns: 2000 },
      );
    });

    it('shows a typical change canonical', () => {
      for (const pad of [0, 1400, 4000])
        assert.equal(isSurelyCanonical(canonicalJson(makeChange('c1', 'a1', pad))), true);
    });

    it('shows strings with every short escape and surrogate pairs canonical', () => {
      const text = canonicalJson({
        a: 'q"b\\s/\b\f\n\r\t\u2028\u007f\ud83d\ude00',
        b: [1, -2, 0, true, null],
      });
      assert.equal(isSurelyCanonical(text), true);
      assert.equal(libraryCanonical(text), true);
    });
  });

  describe('when the text is hostile', () => {
    it('never calls canonical what the library would not reproduce (token soup)', () => {
      fc.assert(
        fc.property(tokenText, (t) => agrees(t)),
        { numRuns: 20000 },
      );
    });

    it('never calls canonical an edited canonical text the library would not reproduce', () => {
      fc.assert(
        fc.property(editedCanonical, (t) => agrees(t)),
        { numRuns: 5000 },
      );
    });

    it('never accepts unsorted or duplicate keys', () => {
      fc.assert(
        fc.property(rawObject, (t) => agrees(t)),
        { numRuns: 5000 },
      );
    });

    it('never accepts arbitrary strings the library would not reproduce', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (t) => {
          agrees(t);
          agrees(`"${t}"`);
          agrees(`{"a":"${t}"}`);
        }),
        { numRuns: 5000 },
      );
    });

    const cases: [string, string][] = [
      ['duplicate key', '{"a":1,"a":1}'],
      ['keys out of order', '{"b":1,"a":1}'],
      ['whitespace', '{"a": 1}'],
      ['negative zero', '-0'],
      ['leading zero', '01'],
      ['fraction', '1.0'],
      ['exponent', '1e2'],
      ['beyond 2^53', '9007199254740993'],
      ['escaped solidus', '"\\/"'],
      ['unicode escape of a letter', '"\\u0041"'],
      ['lone high surrogate', '"\ud800"'],
      ['lone low surrogate', '"\udc00x"'],
      ['escaped key', '{"\\n":1}'],
      ['trailing text', '{}x'],
      ['unterminated string', '"abc'],
      ['deep nesting', `${'['.repeat(1000)}${']'.repeat(1000)}`],
    ];
    for (const [name, text] of cases) {
      it(`does not show ${name} canonical`, () => assert.equal(isSurelyCanonical(text), false));
    }
  });
});

// Property tests: whatever bytes arrive, the parsers answer with a value or a TlogError, never
// with any other exception, and what they accept formats back to the same text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { encodeBase64 } from './encoding.js';
import { TlogError } from './errors.js';
import { formatNote, generateKey, parseNote, parseSkey, parseVkey, signNote } from './note.js';
import { parsePolicy } from './policy.js';
import { parseTlogProof } from './tlog-proof.js';

/** Runs that keep the suite well under a second on a shared machine. */
const RUNS = 400;

function onlyTlogErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof TlogError)) throw err;
  }
}

// Inputs near the formats find more paths than uniform noise: mix format fragments and noise.
const fragment = fc.constantFrom(
  '\n',
  '\n\n',
  '— ',
  ' ',
  '+',
  'PRIVATE+KEY+',
  'c2sp.org/tlog-proof@v1\n',
  'index ',
  'extra ',
  'log ',
  'witness ',
  'group ',
  'quorum ',
  'any',
  'all',
  'none',
  '0',
  '01',
  '9223372036854775808',
  'AAAAAQE=',
  encodeBase64(new Uint8Array(32)),
  '\r',
  '\u0000',
  '\ud800',
  '\u00a0',
);
const hostileText = fc
  .array(fc.oneof(fragment, fc.string({ maxLength: 8 })), { maxLength: 40 })
  .map((a) => a.join(''));
const hostileBytes = fc.uint8Array({ maxLength: 300 });

describe('parsers given hostile input', () => {
  const parsers: [string, (s: string) => unknown][] = [
    ['parseNote', parseNote],
    ['parseCheckpoint', parseCheckpoint],
    ['parseVkey', parseVkey],
    ['parseSkey', parseSkey],
    ['parsePolicy', parsePolicy],
    ['parseTlogProof', parseTlogProof],
  ];
  for (const [name, parse] of parsers) {
    it(`${name} throws only TlogError`, () => {
      fc.assert(
        fc.property(hostileText, (s) => onlyTlogErrors(() => parse(s))),
        { numRuns: RUNS },
      );
    });
  }

  it('byte parsers throw only TlogError', () => {
    fc.assert(
      fc.property(hostileBytes, (b) => {
        onlyTlogErrors(() => parseNote(b));
        onlyTlogErrors(() => parseTlogProof(b));
      }),
      { numRuns: RUNS },
    );
  });

  it('notes that parse format back byte for byte', () => {
    fc.assert(
      fc.property(hostileText, (s) => {
        let note: ReturnType<typeof parseNote>;
        try {
          note = parseNote(s);
        } catch {
          return;
        }
        assert.equal(formatNote(note), s);
      }),
      { numRuns: RUNS },
    );
  });

  it('checkpoints round-trip for any size and root', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (size, rootHash) => {
          const c = { origin: 'o.example/log', size, rootHash, extensions: [] };
          assert.deepEqual(parseCheckpoint(formatCheckpoint(c)), c);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('signed text round-trips through a note', () => {
    const key = generateKey('k.example');
    const line = fc.string({ minLength: 1, maxLength: 20 }).filter((l) => !/[\u0000-\u001f]|\s$/u.test(l));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        const text = `${lines.join('\n')}\n`;
        let signed: string;
        try {
          signed = signNote(text, key);
        } catch (err) {
          // Lone surrogates cannot be UTF-8; anything else is a bug.
          assert.ok(err instanceof TlogError && /[\ud800-\udfff]/.test(text));
          return;
        }
        assert.equal(parseNote(signed).text, text);
      }),
      { numRuns: RUNS },
    );
  });
});

// The add-checkpoint body parser: strict numbers, bounded proof, and any bytes at all either parse
// or fail with MALFORMED (never another error, never a crash).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TlogError } from './errors.js';
import {
  formatAddCheckpoint,
  formatTlogSize,
  MAX_PROOF_LINES,
  parseAddCheckpoint,
  parseTlogSize,
  TLOG_SIZE_CONTENT_TYPE,
} from './witness-protocol.js';

const enc = (s: string) => new TextEncoder().encode(s);
const hash = (b: number) => new Uint8Array(32).fill(b);
const NOTE = 'example.com/log\n1\nAAAA\n\n— example.com/log AAAA\n';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof TlogError ? err.code : `not a TlogError: ${String(err)}`;
  }
  return 'ok';
}

describe('parseAddCheckpoint', () => {
  it('round-trips what formatAddCheckpoint writes', () => {
    const proof = [hash(1), hash(2)];
    const r = parseAddCheckpoint(enc(formatAddCheckpoint(20852014n, proof, NOTE)));
    assert.equal(r.old, 20852014n);
    assert.deepEqual(r.proof, proof);
    assert.equal(r.note, NOTE);
  });

  it('accepts old 0 and the largest size, and exactly 63 proof lines', () => {
    assert.equal(parseAddCheckpoint(enc(`old 0\n\n${NOTE}`)).old, 0n);
    assert.equal(parseAddCheckpoint(enc(`old 9223372036854775807\n\n${NOTE}`)).old, (1n << 63n) - 1n);
    const proof = Array.from({ length: MAX_PROOF_LINES }, (_, i) => hash(i));
    assert.equal(parseAddCheckpoint(enc(formatAddCheckpoint(1n, proof, NOTE))).proof.length, MAX_PROOF_LINES);
  });

  const malformed: [string, string][] = [
    ['old with a leading zero', `old 00\n\n${NOTE}`],
    ['old negative', `old -1\n\n${NOTE}`],
    ['old in hex', `old 0x10\n\n${NOTE}`],
    ['old with a trailing space', `old 1 \n\n${NOTE}`],
    ['old with a tab', `old\t1\n\n${NOTE}`],
    ['old 2^63', `old 9223372036854775808\n\n${NOTE}`],
    ['old empty', `old \n\n${NOTE}`],
    ['no old line', `\n${NOTE}`],
    ['proof line with padding missing', `old 1\n${'A'.repeat(43)}\n\n${NOTE}`],
    ['proof line with URL alphabet', `old 1\n${'_'.repeat(43)}=\n\n${NOTE}`],
    ['proof hash of 33 bytes', `old 1\n${Buffer.alloc(33).toString('base64')}\n\n${NOTE}`],
    ['proof line with a trailing space', `old 1\n${Buffer.alloc(32).toString('base64')} \n\n${NOTE}`],
    ['truncated before the blank line', `old 1\n${Buffer.alloc(32).toString('base64')}\n`],
    ['nothing after the blank line', 'old 1\n\n'],
  ];
  for (const [name, body] of malformed) {
    it(`refuses ${name} as MALFORMED`, () => {
      assert.equal(
        code(() => parseAddCheckpoint(enc(body))),
        'MALFORMED',
      );
    });
  }

  it('refuses 64 proof lines before decoding the rest', () => {
    const proof = Array.from({ length: MAX_PROOF_LINES + 1 }, () => hash(0));
    assert.equal(
      code(() => parseAddCheckpoint(enc(formatAddCheckpoint(1n, proof, NOTE)))),
      'MALFORMED',
    );
  });

  it('never throws anything but MALFORMED on arbitrary bytes or mutated bodies', () => {
    const good = enc(formatAddCheckpoint(5n, [hash(7)], NOTE));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
            const m = good.slice();
            m[i] = b;
            return m;
          }),
          fc.nat(good.length).map((n) => good.slice(0, n)),
        ),
        (bytes) => {
          const c = code(() => parseAddCheckpoint(bytes));
          assert.ok(c === 'ok' || c === 'MALFORMED', c);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('text/x.tlog.size answers', () => {
  it('round-trip what formatTlogSize writes', () => {
    for (const n of [0n, 1n, 20852014n, (1n << 63n) - 1n]) {
      assert.equal(parseTlogSize(TLOG_SIZE_CONTENT_TYPE, formatTlogSize(n)), n);
    }
  });
  const bad: [string, string | undefined, string][] = [
    ['another content type', 'text/plain', '5\n'],
    ['no content type', undefined, '5\n'],
    ['no newline', TLOG_SIZE_CONTENT_TYPE, '5'],
    ['a leading zero', TLOG_SIZE_CONTENT_TYPE, '05\n'],
    ['a sign', TLOG_SIZE_CONTENT_TYPE, '-5\n'],
    ['two lines', TLOG_SIZE_CONTENT_TYPE, '5\n6\n'],
    ['more than 63 bits', TLOG_SIZE_CONTENT_TYPE, '9223372036854775808\n'],
    ['a huge number', TLOG_SIZE_CONTENT_TYPE, `${'9'.repeat(500)}\n`],
    ['an empty body', TLOG_SIZE_CONTENT_TYPE, ''],
  ];
  for (const [name, type, body] of bad) {
    it(`refuse ${name} with MALFORMED`, () => {
      assert.equal(
        code(() => parseTlogSize(type, body)),
        'MALFORMED',
      );
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type Frame, type FrameOptions, frameLines, TOO_LONG_PREFIX_BYTES } from './line-framer.js';

const opts = (o: Partial<FrameOptions> = {}): FrameOptions => ({
  maxFrames: 100,
  maxLineBytes: 16,
  final: false,
  ...o,
});
const line = (text: string): Frame => ({ kind: 'line', text });
const tooLong = (prefix: string): Frame => ({ kind: 'too-long', prefix });

/** Feeds `input` to the framer in pieces of `chunk` bytes, the way the tail reads a file. */
function frameAll(input: Buffer, chunk: number, o: FrameOptions): Frame[] {
  const out: Frame[] = [];
  let pending = Buffer.alloc(0);
  let discarding = false;
  for (let at = 0; at < input.length || pending.length > 0; ) {
    const last = at >= input.length;
    if (!last) {
      pending = Buffer.concat([pending, input.subarray(at, at + chunk)]);
      at += chunk;
    }
    const final = o.final && at >= input.length;
    for (;;) {
      const r = frameLines(pending, discarding, { ...o, final });
      out.push(...r.frames);
      pending = pending.subarray(r.used);
      discarding = r.discarding;
      if (r.used === 0 || r.frames.length < o.maxFrames) break;
    }
    if (last) break;
  }
  return out;
}

describe('the line framer', () => {
  const cases: [string, string, boolean, Frame[], number, boolean][] = [
    // [what, input, final, frames, used, discarding]
    ['nothing', '', false, [], 0, false],
    ['one line', 'abc\n', false, [line('abc')], 4, false],
    ['a partial line waits for its newline', 'abc', false, [], 0, false],
    ['a partial last line is kept', 'a\nbc', false, [line('a')], 2, false],
    ['a final file ends its last line', 'a\nbc', true, [line('a'), line('bc')], 4, false],
    ['empty lines are lines', '\n\n', false, [line(''), line('')], 2, false],
    ['CRLF loses its CR', 'a\r\nb\r\n', false, [line('a'), line('b')], 6, false],
    ['a lone CR is kept inside a line', 'a\rb\n', false, [line('a\rb')], 4, false],
    ['exactly the cap is accepted', `${'x'.repeat(16)}\n`, false, [line('x'.repeat(16))], 17, false],
    [
      'one over the cap is refused',
      `${'x'.repeat(17)}\nok\n`,
      false,
      [tooLong('x'.repeat(17)), line('ok')],
      21,
      false,
    ],
    [
      'a partial line over the cap is refused at once',
      'x'.repeat(20),
      false,
      [tooLong('x'.repeat(20))],
      20,
      true,
    ],
    ['invalid UTF-8 is replaced, never fatal', 'a\xff\xfeb\n', false, [line('a\ufffd\ufffdb')], 5, false],
  ];
  for (const [what, input, final, frames, used, discarding] of cases) {
    it(what, () => {
      const r = frameLines(Buffer.from(input, 'latin1'), false, opts({ final }));
      assert.deepEqual(r, { frames, used, discarding });
    });
  }

  it('skips the rest of an over-long line up to its newline, across calls', () => {
    const r1 = frameLines(Buffer.from('x'.repeat(20)), false, opts());
    assert.equal(r1.discarding, true);
    const r2 = frameLines(Buffer.from('yyyy'), true, opts());
    assert.deepEqual(r2, { frames: [], used: 4, discarding: true });
    const r3 = frameLines(Buffer.from('yy\nnext\n'), true, opts());
    assert.deepEqual(r3, { frames: [line('next')], used: 8, discarding: false });
  });

  it('ends an over-long line with a final file', () => {
    assert.deepEqual(frameLines(Buffer.from('yyyy'), true, opts({ final: true })), {
      frames: [],
      used: 4,
      discarding: false,
    });
  });

  it('stops at the batch size and leaves the rest, even when the rest is longer than the cap', () => {
    const input = Buffer.from('a\nb\nc\nthe rest is longer than sixteen bytes\n');
    const r = frameLines(input, false, opts({ maxFrames: 2 }));
    assert.deepEqual(r, { frames: [line('a'), line('b')], used: 4, discarding: false });
  });

  it('keeps only the first bytes of megabytes without a newline', () => {
    const input = Buffer.alloc(8 * 1024 * 1024, 0x41);
    const r = frameLines(input, false, opts({ maxLineBytes: 1024 * 1024 }));
    assert.equal(r.frames.length, 1);
    assert.equal(r.frames[0]?.kind, 'too-long');
    assert.equal((r.frames[0] as { prefix: string }).prefix.length, TOO_LONG_PREFIX_BYTES);
    assert.equal(r.used, input.length);
    assert.equal(r.discarding, true);
  });

  it('frames the same lines however the bytes are split (property)', () => {
    const lineArb = fc.oneof(
      fc.string({ maxLength: 24 }).map((s) => s.replaceAll('\n', ' ')),
      fc.constant(''),
      fc.constant('crlf\r'),
    );
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 20 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        (lines, trailingNewline, chunk, maxFrames) => {
          const text = lines.join('\n') + (trailingNewline && lines.length > 0 ? '\n' : '');
          const input = Buffer.from(text);
          const o = opts({ maxFrames, maxLineBytes: 40, final: true });
          // An over-long line's prefix is what had arrived when it went over: compare kinds only.
          const shape = (fs: Frame[]) => fs.map((f) => (f.kind === 'line' ? f : { kind: f.kind }));
          const whole = shape(frameAll(input, input.length || 1, o));
          assert.deepEqual(shape(frameAll(input, chunk, o)), whole);
          // The reference: split on newlines, drop one trailing CR, cap by byte length.
          const parts = text.split('\n');
          if (parts.at(-1) === '') parts.pop();
          const expected = parts.map((p) => {
            const t = p.endsWith('\r') ? p.slice(0, -1) : p;
            return Buffer.byteLength(p) > 40 ? { kind: 'too-long' } : line(t);
          });
          assert.deepEqual(whole, expected);
        },
      ),
    );
  });
});

// Property-based fuzzing of the text formats that arrive from outside: tlog-witness requests and
// answers, notes and checkpoints, policy files and tile paths. Every input must end in a value or
// a TlogError, never another exception, and quickly. FUZZ_RUNS sets the runs per property
// (default small, for CI); `FUZZ_RUNS=100000 npm run fuzz` runs them long.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  cosignatureVkey,
  formatAddCheckpoint,
  generateKey,
  parseAddCheckpoint,
  parseCheckpoint,
  parseNote,
  parsePolicy,
  parseTlogSize,
  TlogError,
} from './index.js';
import { MemoryLog } from './testing.js';
import { parseTilePath } from './tile-path.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const opts = { numRuns: RUNS };
/** A run slower than this is a hang. */
const TIMEOUT_MS = 120_000 + RUNS * 50;

/** Runs `parse`; passes for a value or a TlogError, fails the property for anything else. */
function total(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch (err) {
    if (err instanceof TlogError) return true;
    throw err;
  }
}

const log = new MemoryLog({ logKey: generateKey('example.com/fuzz') }).append('a', 'b', 'c', 'd', 'e');
const goodAdd = formatAddCheckpoint(3n, log.consistencyProof(3n, 5n), log.checkpoint(5n));
const goodPolicy = `log ${log.key.vkey} https://log.example\nwitness w1 ${cosignatureVkey(generateKey('w1.example/w'))}\nquorum w1\n`;
const enc = new TextEncoder();

/** Valid text with a few bytes changed, cut or repeated: the near misses a parser must refuse. */
const mutated = (good: string) =>
  fc
    .tuple(fc.nat(good.length), fc.nat(good.length), fc.string({ maxLength: 8 }), fc.nat(3))
    .map(([a, b, insert, mode]) => {
      const [i, j] = a <= b ? [a, b] : [b, a];
      if (mode === 0) return good.slice(0, i) + insert + good.slice(j);
      if (mode === 1) return good.slice(0, i);
      if (mode === 2) return good.slice(0, i) + good.slice(i, j).repeat(3) + good.slice(j);
      return good.replace(/\n/g, insert);
    });

const text = (good: string) =>
  fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), mutated(good));

describe('fuzzing the tlog parsers', { timeout: TIMEOUT_MS }, () => {
  it('tlog-witness add-checkpoint bodies', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          text(goodAdd).map((s) => enc.encode(s)),
          fc.uint8Array({ maxLength: 600 }),
        ),
        (body) => total(() => parseAddCheckpoint(body)),
      ),
      opts,
    );
  });

  it('tlog-witness 409 answers', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 40 })), text('5\n'), (type, body) =>
        total(() => parseTlogSize(type ?? undefined, body)),
      ),
      opts,
    );
  });

  it('notes and checkpoints', () => {
    const good = log.checkpoint(5n);
    fc.assert(
      fc.property(text(good), (t) => total(() => parseCheckpoint(parseNote(t).text))),
      opts,
    );
  });

  it('policy files', () => {
    fc.assert(
      fc.property(text(goodPolicy), (t) => total(() => parsePolicy(t))),
      opts,
    );
  });

  it('tile paths', () => {
    fc.assert(
      fc.property(text('tile/0/x001/234.p/5'), fc.constantFrom('', 'tile/', 'tile/entries/'), (t, prefix) =>
        total(() => parseTilePath(prefix + t)),
      ),
      opts,
    );
  });

  it('accepts the valid inputs it was fed mutations of', () => {
    assert.equal(parseAddCheckpoint(enc.encode(goodAdd)).old, 3n);
    assert.ok(parsePolicy(goodPolicy));
  });
});

// Flag parsers: strict, and precise to the nanosecond for times (audit stageTimestamps carry
// microseconds, so a --until cut to milliseconds would drop entries at its own boundary).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTimeOrAgo, timestampOf } from './flags.js';

describe('time flags', () => {
  const parse = parseTimeOrAgo(() => Date.parse('2026-01-02T03:04:05Z'));

  it('keeps the microseconds of an RFC 3339 time', () => {
    const ts = timestampOf(parse('2025-03-14T09:10:00.123456Z'));
    assert.equal(ts.seconds, BigInt(Date.parse('2025-03-14T09:10:00Z') / 1000));
    assert.equal(ts.nanos, 123_456_000);
  });

  it('reads a time without fraction and a zone offset', () => {
    const ts = timestampOf(parse('2025-03-14T10:10:00+01:00'));
    assert.equal(ts.seconds, BigInt(Date.parse('2025-03-14T09:10:00Z') / 1000));
    assert.equal(ts.nanos, 0);
  });

  it('reads durations before now', () => {
    assert.equal(parse('2h').date.toISOString(), '2026-01-02T01:04:05.000Z');
    assert.equal(parse('7d').date.toISOString(), '2025-12-26T03:04:05.000Z');
  });

  for (const bad of [
    'yesterday',
    '2h30m',
    '0h',
    '2025-03-14',
    '2025-03-14T09:10:00',
    '-2h',
    '2025-13-40T00:00:00Z',
  ]) {
    it(`rejects "${bad}"`, () => {
      assert.throws(() => parse(bad), { code: 'commander.invalidArgument' });
    });
  }
});

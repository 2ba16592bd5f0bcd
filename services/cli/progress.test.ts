// The progress bar's time left: rounding happens once, so no unit ever reads 60.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSecs } from './progress.js';

describe('formatSecs', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [0.2, '1s'],
    [59, '59s'],
    [59.5, '1m00s'],
    [60, '1m00s'],
    [119.2, '2m00s'],
    [119.9, '2m00s'],
    [187, '3m07s'],
    [3599.5, '1h00m'],
    [3600, '1h00m'],
    [7199.9, '2h00m'],
    [7500, '2h05m'],
    [Number.NaN, '--'],
    [Number.POSITIVE_INFINITY, '--'],
    [-1, '--'],
  ];
  for (const [secs, text] of cases) {
    it(`formats ${secs} s as ${text}`, () => assert.equal(formatSecs(secs), text));
  }

  it('never shows 60 seconds or 60 minutes', () => {
    for (let s = 0; s < 10_000; s += 0.37) assert.doesNotMatch(formatSecs(s), /[^0-9]60[sm]|^60[sm]/);
  });
});

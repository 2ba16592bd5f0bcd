import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerLogLimit } from './peer-log-limit.js';

describe('PeerLogLimit', () => {
  it('logs the first refusal of a peer at once, then one line per interval with the count', () => {
    const lines: [number, string][] = [];
    const limit = new PeerLogLimit(1000);
    const log = (count: number, peer: string) => lines.push([count, peer]);
    limit.note('401', '192.0.2.1', log, 0);
    for (let t = 1; t < 1000; t += 100) limit.note('401', '192.0.2.1', log, t);
    limit.note('401', '192.0.2.2', log, 500);
    limit.note('413', '192.0.2.1', log, 600);
    limit.note('401', '192.0.2.1', log, 1000);
    assert.deepEqual(lines, [
      [1, '192.0.2.1'],
      [1, '192.0.2.2'],
      [1, '192.0.2.1'],
      [11, '192.0.2.1'],
    ]);
  });

  it('makes peers beyond what it remembers share one line', () => {
    const lines: string[] = [];
    const limit = new PeerLogLimit(1000);
    for (let i = 0; i < 5000; i++) limit.note('401', `10.0.${i >> 8}.${i & 255}`, (_, p) => lines.push(p), 0);
    assert.equal(lines.length, 4097);
    assert.equal(lines.at(-1), 'other peers');
  });
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { generateKey, parseVkey } from '../../packages/tlog/index.js';
import { hex, makeChange, naiveLeafHash, signChange, signText } from '../../test/ledger-fixtures.js';
import { VerifyPool } from './verify-pool.js';

const key = generateKey('collector/c1');
const other = generateKey('collector/c2');

describe('VerifyPool', () => {
  const pool = new VerifyPool([parseVkey(key.vkey)], 2);
  after(() => pool.close());

  it('answers every leaf in order across workers: hash, identity, body refs or the refusal', async () => {
    const ref = { sha256: 'ab'.repeat(32), size: 7 };
    const leaves: Uint8Array[] = [];
    const want: (string | { identity: string; refs: number })[] = [];
    for (let i = 0; i < 100; i++) {
      if (i % 10 === 3) {
        leaves.push(signChange(makeChange('c2', `x${i}`), other));
        want.push('UNKNOWN_KEY');
      } else if (i % 10 === 7) {
        leaves.push(signText('{"b":1,"a":2}\n', key));
        want.push('NOT_CANONICAL');
      } else if (i % 10 === 9) {
        leaves.push(signChange({ ...makeChange('c1', `r${i}`), request: ref }, key));
        want.push({ identity: `c1/r${i}`, refs: 1 });
      } else {
        leaves.push(signChange(makeChange('c1', `a${i}`), key));
        want.push({ identity: `c1/a${i}`, refs: 0 });
      }
    }
    const results = await pool.verify(leaves);
    assert.equal(results.length, leaves.length);
    for (const [i, r] of results.entries()) {
      const w = want[i] ?? 'missing';
      if (typeof w === 'string') {
        assert.equal(r.ok ? 'ok' : r.code, w, `leaf ${i}`);
        continue;
      }
      assert.ok(r.ok, `leaf ${i}`);
      assert.equal(r.identity, w.identity);
      assert.equal(hex(r.leafHash), hex(naiveLeafHash(leaves[i] as Uint8Array)));
      assert.deepEqual(r.bodyRefs, w.refs === 0 ? [] : [ref]);
    }
  });

  it('uses keys set after it started for the batches sent after', async () => {
    const leaf = signChange(makeChange('c2', 'k1'), other);
    assert.equal((await pool.verify([leaf]))[0]?.ok, false);
    pool.setKeys([parseVkey(key.vkey), parseVkey(other.vkey)]);
    assert.equal((await pool.verify([leaf]))[0]?.ok, true);
  });

  it('answers an empty batch without a worker', async () => {
    assert.deepEqual(await pool.verify([]), []);
  });
});

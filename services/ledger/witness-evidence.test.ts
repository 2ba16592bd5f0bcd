// The evidence alarm of the witness cosigner (witness-evidence.ts) against real witnesses on
// loopback: a witness that holds a larger tree (rollback), the same size with another root (fork)
// or a tree our proof does not reach (bad_proof) raises the gauge and logs one error line, readiness
// fails only when the rest cannot meet the quorum, publication goes on with the others, and the
// alarm clears once the witness cosigns again.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { WitnessTrio } from './testing/witness-trio.js';

const t = new WitnessTrio('evidence');
const { honest, forked } = t;
const errors = () => t.at(50);

describe('the witness evidence alarm', () => {
  beforeEach(() => t.start());
  afterEach(() => t.stop());
  after(() => t.remove());

  it('one witness of three with a larger tree: gauge 1, one error line, still ready and publishing; cleared once it cosigns again', async () => {
    await t.advance(honest(7), ['w3']);
    const c = t.cosigner();
    for (const kind of ['rollback', 'fork', 'bad_proof']) assert.equal(await t.gauge('w1', kind), 0);

    const five = honest(5);
    const note = await t.cosign(c, five);
    assert.ok(note !== undefined, 'the other two still publish');
    assert.deepEqual(t.cosigners(note), ['w1', 'w2']);
    assert.equal(await t.gauge('w3', 'rollback'), 1);
    assert.equal(await t.gauge('w1', 'rollback'), 0);
    assert.equal(c.evidenceCheck(), undefined, 'a minority does not take readiness down');
    assert.equal(errors().length, 1);
    const [line] = errors();
    assert.equal(line?.witness, 'w3');
    assert.equal(line?.kind, 'rollback');
    assert.equal(line?.size, '5');
    assert.match(line?.reason ?? '', /already cosigned size 7, larger than this checkpoint's size 5/);
    assert.match(line?.msg ?? '', /^witness w3 reports rollback against this log at our size 5/);

    // The same answer again is not news: no second error line.
    await t.cosign(c, five);
    assert.equal(errors().length, 1);

    // The log grows past the witness's size with the same entries: it cosigns, the alarm clears.
    const eight = honest(8);
    const all = await t.cosign(c, eight);
    assert.equal(t.cosigners(all).length, 3);
    assert.equal(await t.gauge('w3', 'rollback'), 0);
    assert.ok(
      t.lines.some((l) => l.level === 30 && l.witness === 'w3' && /cosigns this log again/.test(l.msg)),
    );
    await c.close?.();
  });

  it('two witnesses of three with a larger tree: not ready, naming both and what they said', async () => {
    await t.advance(honest(7), ['w2', 'w3']);
    const c = t.cosigner();
    assert.equal(await t.cosign(c, honest(5)), undefined, 'the quorum is missed');
    const why = c.evidenceCheck();
    assert.ok(why !== undefined);
    assert.match(why, /the others cannot meet the quorum/);
    assert.match(why, /w2 \(rollback: the witness already cosigned size 7/);
    assert.match(why, /w3 \(rollback: the witness already cosigned size 7/);
    assert.doesNotMatch(why, /w1/);
    assert.ok(errors().some((l) => l.witness === 'w3' && /cannot meet the quorum/.test(l.msg)));

    assert.ok((await t.cosign(c, honest(8))) !== undefined);
    assert.equal(c.evidenceCheck(), undefined);
    for (const w of ['w2', 'w3']) assert.equal(await t.gauge(w, 'rollback'), 0);
    await c.close?.();
  });

  it('a witness that cosigned a fork: fork at its size, then bad_proof beyond it, each logged once', async () => {
    await t.advance(forked(5), ['w3']);
    const c = t.cosigner();
    assert.ok((await t.cosign(c, honest(5))) !== undefined);
    assert.equal(await t.gauge('w3', 'fork'), 1);
    assert.ok((await t.cosign(c, honest(6))) !== undefined);
    assert.equal(await t.gauge('w3', 'fork'), 0);
    assert.equal(await t.gauge('w3', 'bad_proof'), 1);
    assert.deepEqual(
      errors().map((l) => `${l.witness} ${l.kind}`),
      ['w3 fork', 'w3 bad_proof'],
    );
    assert.equal(c.evidenceCheck(), undefined);
    await c.close?.();
  });

  it('a witness that does not answer is no evidence, and leaves earlier evidence as it was', async () => {
    await t.advance(honest(7), ['w3']);
    const c = t.cosigner();
    await t.cosign(c, honest(5));
    assert.equal(await t.gauge('w3', 'rollback'), 1);
    await t.witnesses[2]?.close();
    await t.cosign(c, honest(6));
    assert.equal(await t.gauge('w3', 'rollback'), 1, 'no answer is not a cosignature');
    assert.equal(errors().length, 1);
    await c.close?.();
  });

  it('quorum none: nothing is asked, nothing is evidence', async () => {
    const c = t.cosigner('none');
    const five = honest(5);
    assert.equal(await t.cosign(c, five), five.checkpoint());
    assert.equal(c.evidenceCheck(), undefined);
    assert.equal(await t.gauge('w1', 'rollback'), 0);
    await c.close?.();
  });
});

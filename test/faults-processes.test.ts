// The whole-system fault suite (issue 16): kill -9 of the ledger, the collector and the witness,
// each several times, under a steady load through the webhook. Every event answered 2xx is in the
// log exactly once, `audit --state` finds every checkpoint consistent across all of it, and the
// system is back to steady latency on its own.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertPromiseKept, describeSystem, SteadyLoad, sleep } from './support/system.js';

describeSystem('faults: kill -9 of each service under load', {}, (t) => {
  it('loses nothing, duplicates nothing, stays consistent and recovers', async () => {
    const load = new SteadyLoad(t.system.webhook, t.system.token, 'kill');
    load.start();
    try {
      for (let round = 0; round < 2; round++) {
        for (const part of [t.system.ledger, t.system.collector, t.system.witness]) {
          await sleep(1500);
          await part.kill('SIGKILL');
          await sleep(500);
          await part.start();
        }
        assert.equal((await t.system.audit()).status, 0, `audit after round ${round + 1}`);
      }
      await sleep(1500);
    } finally {
      await load.stop();
    }
    assert.ok(load.acked.size > 0, 'some events were acknowledged');
    await assertPromiseKept(t.system, load.acked, () => t.system.audit());
  });
});

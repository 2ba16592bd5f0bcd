// The whole-system fault suite (issue 16): kill -9 of nats-server under a steady load, and its
// restart on the same store. The webhook refuses while NATS is away (the load sends those batches
// again), and afterwards every event answered 2xx is in the log exactly once, the checkpoints are
// consistent, and the system is back to steady latency on its own.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertPromiseKept, describeSystem, SteadyLoad, sleep } from './support/system.js';

describeSystem('faults: kill -9 of nats-server under load', {}, (t) => {
  it('loses nothing, duplicates nothing, stays consistent and recovers', async () => {
    const load = new SteadyLoad(t.system.webhook, t.system.token, 'natskill');
    load.start();
    const server = t.system.nats.servers[0];
    assert.ok(server !== undefined);
    try {
      for (let round = 0; round < 2; round++) {
        await sleep(2000);
        await server.kill();
        await sleep(3000);
        await server.start();
      }
      await sleep(2000);
    } finally {
      await load.stop();
    }
    assert.ok((load.statuses.get('200') ?? 0) > 0, 'some batches were acknowledged');
    await assertPromiseKept(t.system, load.acked, () => t.system.audit());
    assert.ok(t.system.ledger.running && t.system.collector.running, 'the services rode it out');
  });
});

// The whole-system fault suite (issue 16): kill -9 of nats-server under a steady load, and its
// restart on the same store. The webhook refuses while NATS is away (the load sends those batches
// again), and afterwards every event answered 2xx is in the log exactly once, the checkpoints are
// consistent, and the system is back to steady latency on its own.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { haveNatsServer } from './support/nats-server.js';
import { assertPromiseKept, SteadyLoad, System } from './support/system.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('faults: kill -9 of nats-server under load', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 300_000,
}, () => {
  let system: System;
  before(async () => {
    system = await System.start();
  });
  after(async () => {
    await system?.stop();
  });

  it('loses nothing, duplicates nothing, stays consistent and recovers', async () => {
    const load = new SteadyLoad(system.webhook, system.token, 'natskill');
    load.start();
    const server = system.nats.servers[0];
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
    await assertPromiseKept(system, load.acked, () => system.audit());
    assert.ok(system.ledger.running && system.collector.running, 'the services rode it out');
  });
});

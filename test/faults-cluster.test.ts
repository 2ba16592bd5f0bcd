// The whole-system fault suite (issue 16): a three-node JetStream cluster of local nats-servers,
// the streams at three replicas, and one node killed (kill -9) under a steady load. Nothing is
// lost, nothing is logged twice, the webhook answers every batch 200 while the stream elects a new
// leader (late, not refused), and the node rejoins.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { haveNatsServer } from './support/nats-server.js';
import { assertPromiseKept, SteadyLoad, System } from './support/system.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('faults: one node of a three-node JetStream cluster killed under load', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 300_000,
}, () => {
  let system: System;
  before(async () => {
    system = await System.start({ natsNodes: 3 });
  });
  after(async () => {
    await system?.stop();
  });

  it('loses nothing, and the webhook answers every batch', async () => {
    const load = new SteadyLoad(system.webhook, system.token, 'cluster');
    load.start();
    try {
      // One node down at a time is what three replicas survive (a second loss before the first
      // node has caught up takes the stream's quorum).
      const node = system.nats.servers[0];
      assert.ok(node !== undefined);
      await sleep(2500);
      await node.kill();
      await sleep(6000);
      await node.start();
      await sleep(2500);
    } finally {
      await load.stop();
    }
    // While the new stream leader is elected, publishes wait; the requests that arrive meanwhile
    // wait for a slot (services/collector/admission.ts) rather than being turned away, so every
    // batch is answered 200 at its first try.
    const failed = [...load.statuses].filter(([status]) => status !== '200');
    assert.deepEqual(failed, [], `every batch was answered 200: ${system.collector.log.slice(-2000)}`);
    await assertPromiseKept(system, load.acked, () => system.audit());
  });
});

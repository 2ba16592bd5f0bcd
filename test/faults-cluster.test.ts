// The whole-system fault suite (issue 16): a three-node JetStream cluster of local nats-servers,
// the streams at three replicas, and one node killed (kill -9) under a steady load. Nothing is
// lost, nothing is logged twice, the webhook answers every batch 200 while the stream elects a new
// leader (late, not refused), and the node rejoins.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertPromiseKept, describeSystem, SteadyLoad, sleep } from './support/system.js';

describeSystem(
  'faults: one node of a three-node JetStream cluster killed under load',
  { start: { natsNodes: 3 } },
  (t) => {
    it('loses nothing, and the webhook answers every batch', async () => {
      const load = new SteadyLoad(t.system.webhook, t.system.token, 'cluster');
      load.start();
      try {
        // One node down at a time is what three replicas survive (a second loss before the first
        // node has caught up takes the stream's quorum).
        const node = t.system.nats.servers[0];
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
      assert.deepEqual(failed, [], `every batch was answered 200: ${t.system.collector.log.slice(-2000)}`);
      await assertPromiseKept(t.system, load.acked, () => t.system.audit());
    });
  },
);

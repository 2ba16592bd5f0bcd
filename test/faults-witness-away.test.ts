// The whole-system fault suite (issue 16): the witness away for a minute under a steady load.
// Ingest goes on (the webhook still answers), no checkpoint is published without the quorum,
// /readyz says why once the grace has passed, and when the witness is back the queued tree is
// cosigned and published: every acknowledged event once, consistent, steady latency again.
// FAULTS_WITNESS_AWAY_MS shortens or lengthens the outage (default one minute).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertPromiseKept, describeSystem, SteadyLoad, sleep, until } from './support/system.js';

const AWAY_MS = Number(process.env.FAULTS_WITNESS_AWAY_MS ?? 60_000);

describeSystem('faults: the witness away for a minute', { timeout: AWAY_MS + 240_000 }, (t) => {
  it('queues checkpoints, says why, and publishes them on its return', async () => {
    const load = new SteadyLoad(t.system.webhook, t.system.token, 'away');
    load.start();
    const api = t.system.api();
    try {
      await sleep(1500);
      await t.system.witness.kill('SIGKILL');
      const awaySince = Date.now();
      const publishedThen = (await api.getCheckpoint()).size;
      const readyz = await until(30_000, 'the ledger not ready, naming the witness quorum', async () => {
        const r = await t.system.ledger.readyz();
        return r.status === 503 && /witness quorum/.test(r.text) ? r : undefined;
      });
      assert.match(readyz.text, /witness quorum missed since/);
      const acceptedWhileAway = load.acked.size;
      await sleep(Math.max(0, AWAY_MS - (Date.now() - awaySince)));
      assert.ok(load.acked.size > acceptedWhileAway, 'the webhook kept accepting while the witness was away');
      assert.equal((await api.getCheckpoint()).size, publishedThen, 'nothing published without the quorum');
      await t.system.witness.start();
      await until(30_000, 'ready again', async () =>
        (await t.system.ledger.readyz()).status === 200 ? true : undefined,
      );
      await sleep(1500);
    } finally {
      api.close();
      await load.stop();
    }
    await assertPromiseKept(t.system, load.acked, () => t.system.audit());
  });
});

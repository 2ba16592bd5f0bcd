// The whole-system fault suite (issue 16): SIGKILL of everything at once (`up` and its
// nats-server) under a steady load, then `up` again on the same data dir. Every event answered
// 2xx before or after is in the log exactly once, `audit --state` finds the checkpoints of both
// runs consistent, and the system is back to steady latency on its own.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connectLedger } from '../services/cli/ledger-client.js';
import { runCli } from '../services/cli/testing/run-cli.js';
import { natsServerConfigPath } from '../services/cli/up/nats-auth.js';
import { natsPidFile } from '../services/cli/up/nats-child.js';
import { startUp, type UpProcess } from './cli-support.js';
import { haveNatsServer } from './support/nats-server.js';
import { assertPromiseKept, SteadyLoad, type Target } from './support/system.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function target(up: UpProcess): Target {
  return {
    api: () => connectLedger(up.endpoints.grpc),
    webhook: up.endpoints.webhook,
    token: up.endpoints.webhookToken,
  };
}

describe('faults: SIGKILL of everything at once, then up again', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 300_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-faults-up-'));
  const state = join(dir, 'audit.state');
  let up: UpProcess | undefined;
  after(async () => {
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const audit = (u: UpProcess) =>
    runCli(['audit', '--grpc', u.endpoints.grpc, '--policy', u.endpoints.policy, '--state', state], {
      timeoutMs: 120_000,
    });

  it('loses nothing, duplicates nothing, stays consistent and recovers', async () => {
    const acked = new Set<string>();
    for (let run = 0; run < 2; run++) {
      up = await startUp(dir);
      const load = new SteadyLoad(up.endpoints.webhook, up.endpoints.webhookToken, `up${run}`);
      load.start();
      await sleep(3000);
      if (run === 0) {
        assert.equal((await audit(up)).status, 0, 'audit before the kill');
        // Everything at once: up (with the services in it) and its nats-server.
        const nats = Number.parseInt(readFileSync(natsPidFile(natsServerConfigPath(dir)), 'utf8'), 10);
        process.kill(nats, 'SIGKILL');
        await up.stop('SIGKILL');
        rmSync(join(dir, 'endpoints.json'), { force: true });
      }
      // Batches refused by the dead system are not counted: the apiserver would send them to the new one.
      await load.stop(run === 0 ? 0 : 60_000);
      for (const id of load.acked) acked.add(id);
    }
    assert.ok(up !== undefined);
    const t = target(up);
    await assertPromiseKept(t, acked, () => audit(up as UpProcess));
  });
});

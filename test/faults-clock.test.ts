// The whole-system fault suite (issue 16): the clocks of the collector's and the ledger's machines
// jump (hours forward, then back), simulated by the clock each service is given. Under a steady
// load through the webhook: every event answered 2xx is in the log exactly once, `audit --state`
// finds the checkpoints consistent, the ledger stays ready with a fresh checkpoint (its ages and
// intervals are monotonic), the latency is steady, and each change records the collector's clock
// as it read at the time, jumps included.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { type Clock, silentLogger, writeKeyFiles } from '../packages/runtime/index.js';
import { cosignatureVkey, generateKey, parseVkey } from '../packages/tlog/index.js';
import { connectLedger } from '../services/cli/ledger-client.js';
import { runCli } from '../services/cli/testing/run-cli.js';
import { type RunningCollector, startCollector } from '../services/collector/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { type RunningWitness, startWitness } from '../services/witness/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';
import { assertPromiseKept, SteadyLoad, type Target, until } from './support/system.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOUR = 3_600_000;

/** A machine's clock that an operator (or NTP) can step. */
class SteppedClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

describe('faults: clock jumps of the collector and the ledger', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 300_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-faults-clock-'));
  const collectorClock = new SteppedClock();
  const ledgerClock = new SteppedClock();
  const token = 'clock-token-0123456789abcdef';
  let nats: NatsServer;
  let witness: RunningWitness;
  let ledger: RunningLedger;
  let collector: RunningCollector;
  let target: Target;
  const policyFile = join(dir, 'policy.txt');
  const registry = new Registry();

  before(async () => {
    nats = await startNatsServer();
    const log = generateKey('faults.test/clock');
    const witnessKey = generateKey('faults.test/clock-witness');
    const collectorKey = generateKey('collector/clock');
    writeKeyFiles(join(dir, 'log'), log.skey, log.vkey);
    writeFileSync(join(dir, 'collectors.vkeys'), `${collectorKey.vkey}\n`);
    witness = await startWitness(
      { dataDir: join(dir, 'witness'), listen: '127.0.0.1:0', key: witnessKey, logs: [parseVkey(log.vkey)] },
      { logger: silentLogger() },
    );
    writeFileSync(
      policyFile,
      `log ${log.vkey}\nwitness w1 ${cosignatureVkey(witnessKey)} ${witness.url}\nquorum w1\n`,
    );
    ledger = await startLedger(
      ledgerConfig({
        'data-dir': join(dir, 'ledger'),
        'nats-url': nats.url,
        'grpc-listen': '127.0.0.1:0',
        key: join(dir, 'log.key'),
        'collector-keys': join(dir, 'collectors.vkeys'),
        origin: log.name,
        'witness-policy': policyFile,
        'witness-quorum-grace': '3s',
        'verify-workers': '1',
      }),
      { logger: silentLogger(), registry, clock: ledgerClock },
    );
    collector = await startCollector(
      {
        cluster: 'clock',
        key: collectorKey,
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: token,
      },
      { logger: silentLogger(), registry: new Registry(), clock: collectorClock },
    );
    target = { api: () => connectLedger(ledger.grpcAddress), webhook: collector.webhookUrl, token };
  });
  after(async () => {
    await collector?.close();
    await ledger?.close();
    await witness?.close();
    await nats?.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const audit = () =>
    runCli(
      ['audit', '--grpc', ledger.grpcAddress, '--policy', policyFile, '--state', join(dir, 'audit.state')],
      {
        timeoutMs: 120_000,
      },
    );
  const checkpointAge = async () => {
    const metric = await registry.getSingleMetric('ingress_ledger_ledger_checkpoint_age_seconds')?.get();
    return metric?.values[0]?.value ?? Number.NaN;
  };

  it('loses nothing, stays ready and consistent, and records the clock it was given', async () => {
    const load = new SteadyLoad(collector.webhookUrl, token, 'clock');
    load.start();
    try {
      await sleep(1500);
      // Forward, back past where it started, and home again: the collector, then the ledger.
      for (const clock of [collectorClock, ledgerClock]) {
        for (const offset of [3 * HOUR, -2 * HOUR, 0]) {
          clock.offsetMs = offset;
          await sleep(1500);
          assert.equal(ledger.readiness.failing().length, 0, `ready with the ${offset} ms step`);
          assert.ok((await checkpointAge()) < 5, 'the checkpoint stays fresh');
        }
        assert.equal((await audit()).status, 0);
      }
    } finally {
      await load.stop();
    }
    await assertPromiseKept(target, load.acked, () => audit());

    // Each change says what the collector's clock said: some are hours ahead, some behind.
    const api = target.api();
    try {
      const cp = await api.getCheckpoint();
      const skews = new Set<string>();
      for (let start = 0n; start < cp.size; ) {
        const entries = await api.getEntries(start, cp.size);
        for (const e of entries) {
          const m = /"observedAt":"([^"]+)"/.exec(new TextDecoder().decode(e.leaf));
          const skew = m === null ? 0 : Date.parse(m[1] as string) - Date.now();
          if (skew > HOUR) skews.add('ahead');
          else if (skew < -HOUR) skews.add('behind');
        }
        start += BigInt(entries.length);
      }
      assert.deepEqual([...skews].sort(), ['ahead', 'behind']);
    } finally {
      api.close();
    }
    await until(5000, 'still ready', async () =>
      ledger.readiness.failing().length === 0 ? true : undefined,
    );
  });
});

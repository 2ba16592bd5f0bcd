// The ledger's start-up check against its witnesses, with a real nats-server, SQLite, witnesses and
// HTTP on loopback: a data dir (store and published-checkpoint file together) copied back to an
// older state while one witness of three moved on. The mark check passes; the witness says it.
// With the two others still able to meet the 2-of-3 quorum the ledger starts, with the evidence
// alarm raised (gauge, error line) and readiness up, and publishes with the two.
import assert from 'node:assert/strict';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { changesSubject } from '../packages/runtime/index.js';
import { cosignatureVkey, generateKey, type PrivateKey, parseVkey } from '../packages/tlog/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { type RunningWitness, startWitness } from '../services/witness/index.js';
import { type KeySetup, ledgerSettings, makeChange, setupKeys, signChange } from './ledger-fixtures.js';
import { freePort, haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

interface LogLine {
  level: number;
  msg: string;
  witness?: string;
  kind?: string;
}

interface WitnessNode {
  key: PrivateKey;
  port: number;
  running?: RunningWitness | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the start-up check of a witnessed ledger', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 120_000,
}, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let keys: KeySetup;
  const nodes: WitnessNode[] = [1, 2, 3].map((i) => ({
    key: generateKey(`witness.example/ws${i}`),
    port: 0,
  }));
  let ledger: RunningLedger | undefined;
  let registry: Registry;
  let lines: LogLine[] = [];
  let policyFile: string;

  async function up(i: number): Promise<void> {
    const n = nodes[i] as WitnessNode;
    n.running = await startWitness(
      {
        dataDir: join(keys.dir, `witness-${i + 1}`),
        listen: `127.0.0.1:${n.port}`,
        key: n.key,
        logs: [parseVkey(keys.logKey.vkey)],
      },
      { logger: pino({ level: 'silent' }) },
    );
  }
  async function down(i: number): Promise<void> {
    await nodes[i]?.running?.close();
    (nodes[i] as WitnessNode).running = undefined;
  }

  async function start(): Promise<RunningLedger> {
    lines = [];
    registry = new Registry();
    const logger = pino(
      { level: 'info' },
      { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
    );
    const config = ledgerConfig(
      ledgerSettings(keys, nats.url, {
        origin: keys.logKey.name,
        'witness-policy': policyFile,
        'checkpoint-interval': '50ms',
        'verify-workers': '1',
        search: 'off',
      }),
    );
    ledger = await startLedger(config, { logger, registry });
    return ledger;
  }

  async function append(...ids: string[]): Promise<void> {
    const key = keys.collectors.get('c1') as PrivateKey;
    for (const id of ids)
      await jetstream(nc).publish(changesSubject('c1'), signChange(makeChange('c1', id), key), {
        msgID: `c1/${id}`,
      });
  }

  async function metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
    const m = await registry.getSingleMetric(name)?.get();
    return m?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
  }

  async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
    const until = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
      await sleep(25);
    }
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    keys = setupKeys('ledger.test/witness-start', ['c1']);
    for (const n of nodes) n.port = await freePort();
    for (const i of [0, 1, 2]) await up(i);
    const policy = [`log ${keys.logKey.vkey}`];
    for (const [i, n] of nodes.entries())
      policy.push(`witness w${i + 1} ${cosignatureVkey(n.key)} http://127.0.0.1:${n.port}`);
    policy.push('group two 2 w1 w2 w3', 'quorum two');
    policyFile = join(keys.dir, 'policy.txt');
    writeFileSync(policyFile, `${policy.join('\n')}\n`);
  });
  after(async () => {
    await ledger?.close();
    for (const i of [0, 1, 2]) await down(i);
    await nc?.close();
    await nats?.stop({ removeStore: true });
    rmSync(keys.dir, { recursive: true, force: true });
  });

  it('with 1 of 3 witnesses (quorum 2) ahead of a restored data dir: starts, alarm raised, publishes with the others', async () => {
    const dataDir = join(keys.dir, 'data');
    await start();
    await append('1', '2', '3');
    await waitFor(
      'size 3 published',
      async () => (await metric('ingress_ledger_ledger_published_tree_size')) === 3,
    );
    await ledger?.close();
    const copy = join(keys.dir, 'copy');
    cpSync(dataDir, copy, { recursive: true });

    // Only w3 hears of sizes 4 and 5: the quorum is missed, nothing is published, but w3 moved on.
    await down(0);
    await down(1);
    await start();
    await append('4', '5');
    await waitFor('w3 asked about size 5', () =>
      lines.some((l) => l.witness === 'w1' && /did not cosign size 5/.test(l.msg)),
    );
    await ledger?.close();
    await up(0);
    await up(1);

    // The whole data dir goes back to the copy: the mark (size 3) matches the store.
    rmSync(dataDir, { recursive: true, force: true });
    cpSync(copy, dataDir, { recursive: true });
    const l = await start();
    assert.equal(
      await metric('ingress_ledger_ledger_witness_evidence', { witness: 'w3', kind: 'rollback' }),
      1,
    );
    assert.equal(
      await metric('ingress_ledger_ledger_witness_evidence', { witness: 'w1', kind: 'rollback' }),
      0,
    );
    const errors = lines.filter((x) => x.level === 50);
    assert.deepEqual(
      errors.map((x) => `${x.witness} ${x.kind}`),
      ['w3 rollback'],
    );
    assert.match(errors[0]?.msg ?? '', /witness w3 reports rollback against this log at our size 3/);
    assert.deepEqual(
      l.readiness.failing().filter((f) => f.startsWith('witness-')),
      [],
      'a minority does not take readiness down',
    );
    await append('6');
    await waitFor(
      'size 4 published by w1 and w2',
      async () => (await metric('ingress_ledger_ledger_published_tree_size')) === 4,
    );
    assert.equal(
      await metric('ingress_ledger_ledger_witness_evidence', { witness: 'w3', kind: 'rollback' }),
      1,
    );
  });
});

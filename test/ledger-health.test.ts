// Operability of a real ledger (real nats-server, witness, SQLite, HTTP and gRPC on loopback): the
// /livez and /readyz probes and the gRPC health status follow NATS going away and coming back and a
// witness quorum missed beyond its grace; an idle log republishes its checkpoint with fresh
// cosignatures; the metrics are all ingress_ledger_*, with build_info and the per-cluster last event.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { changeIdentity } from '../packages/change/index.js';
import { CHECKPOINTS_SUBJECT, changesSubject, createRegistry } from '../packages/runtime/index.js';
import { cosignatureVkey, generateKey, parseNote, parseVkey } from '../packages/tlog/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { type RunningWitness, startWitness } from '../services/witness/index.js';
import { ledgerSettings, makeChange, setupKeys, signChange } from './ledger-fixtures.js';
import { freePort, haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

interface LogLine {
  level: number;
  msg: string;
  server?: string;
}

const SERVING = 1;
const NOT_SERVING = 2;

/** grpc.health.v1.Health/Check of the whole server (""): an empty request; status is field 1. */
function grpcHealth(address: string): Promise<number> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const identity = (b: Buffer) => b;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      identity,
      identity,
      Buffer.alloc(0),
      (err, res) => {
        client.close();
        if (err !== null) return reject(err);
        // One varint field: tag 0x08, then the status (all statuses fit one byte).
        resolve(res !== undefined && res[0] === 0x08 ? (res[1] ?? 0) : 0);
      },
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('ledger health, readiness and republishing', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 120_000,
}, () => {
  const keys = setupKeys('example.com/health', ['c1']);
  const witnessKey = generateKey('witness.example/health');
  const lines: LogLine[] = [];
  const registry = createRegistry('ledger');
  let nats: NatsServer;
  let nc: NatsConnection;
  let witness: RunningWitness | undefined;
  let witnessPort: number;
  let ledger: RunningLedger;
  let metricsUrl: string;
  const notes: string[] = [];

  const startW = async () => {
    witness = await startWitness(
      {
        dataDir: join(keys.dir, 'witness'),
        listen: `127.0.0.1:${witnessPort}`,
        key: witnessKey,
        logs: [parseVkey(keys.logKey.vkey)],
      },
      { logger: pino({ level: 'silent' }) },
    );
  };
  const get = async (path: string) => {
    const res = await fetch(`${metricsUrl}${path}`);
    return { status: res.status, text: await res.text() };
  };
  const metric = async (series: string): Promise<number | undefined> => {
    const { text } = await get('/metrics');
    const line = text.split('\n').find((l) => l.startsWith(series));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const sub = nc.subscribe(CHECKPOINTS_SUBJECT);
    void (async () => {
      for await (const m of sub) notes.push(m.string());
    })();
    witnessPort = await freePort();
    await startW();
    const policy = join(keys.dir, 'policy.txt');
    writeFileSync(
      policy,
      `log ${keys.logKey.vkey}\nwitness w1 ${cosignatureVkey(witnessKey)} http://127.0.0.1:${witnessPort}\nquorum w1\n`,
    );
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    const logger = pino(
      { level: 'info' },
      { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
    );
    ledger = await startLedger(
      ledgerConfig(
        ledgerSettings(keys, nats.url, {
          'metrics-listen': `127.0.0.1:${metricsPort}`,
          'witness-policy': policy,
          'checkpoint-interval': '50ms',
          'checkpoint-republish-interval': '1500ms',
          'witness-quorum-grace': '1s',
          'verify-workers': '1',
        }),
      ),
      { logger, registry },
    );
  });

  after(async () => {
    await ledger?.close();
    await witness?.close();
    await nc?.close();
    await nats?.stop({ removeStore: true });
  });

  it('serves /livez, /healthz and /readyz, and gRPC health says SERVING', async () => {
    assert.deepEqual(await get('/livez'), { status: 200, text: 'ok\n' });
    assert.deepEqual(await get('/healthz'), { status: 200, text: 'ok\n' });
    assert.deepEqual(await get('/readyz'), { status: 200, text: 'ok\n' });
    assert.equal((await get('/nope')).status, 404);
    assert.equal(await grpcHealth(ledger.grpcAddress), SERVING);
  });

  it('names every metric ingress_ledger_*, with build_info', async () => {
    const { text } = await get('/metrics');
    const names = new Set(
      text
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.split(/[{ ]/, 1)[0]),
    );
    assert.ok(names.size > 20);
    for (const n of names) assert.match(n ?? '', /^ingress_ledger_/);
    assert.match(
      text,
      /^ingress_ledger_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+[^"]*",service="ledger"\} 1$/m,
    );
  });

  it('reports the stageTimestamp of the newest entry per cluster, and the consumer backlog', async () => {
    const js = jetstream(nc);
    const key = keys.collectors.get('c1');
    assert.ok(key !== undefined);
    const older = { ...makeChange('c1', 'health-2'), stageTimestamp: '2026-11-27T00:00:05.000000Z' };
    const newer = { ...makeChange('c1', 'health-1'), stageTimestamp: '2026-11-27T00:00:10.500000Z' };
    // The newer first: the gauge never goes back for an older entry appended later.
    for (const c of [newer, older]) {
      await js.publish(changesSubject('c1'), signChange(c, key), { msgID: changeIdentity(c) });
    }
    const series = 'ingress_ledger_ledger_last_event_timestamp_seconds{cluster="c1",service="ledger"}';
    await eventually('two entries', async () =>
      (await metric('ingress_ledger_ledger_tree_size')) === 2 ? true : undefined,
    );
    assert.equal(await metric(series), Date.parse(newer.stageTimestamp) / 1000);
    // Sampled every few seconds; drained, so 0.
    assert.equal(
      await eventually('a backlog sample', () => metric('ingress_ledger_ledger_ingest_pending_messages')),
      0,
    );
  });

  it('drops the last-event series of a cluster whose key a reload retired', async () => {
    const series = 'ingress_ledger_ledger_last_event_timestamp_seconds{cluster="c1"';
    assert.ok((await get('/metrics')).text.includes(series));
    const c1 = keys.collectors.get('c1');
    writeFileSync(keys.collectorKeysFile, `${generateKey('collector/c2').vkey}\n`);
    try {
      ledger.reloadCollectorKeys();
      assert.ok(!(await get('/metrics')).text.includes(series));
    } finally {
      writeFileSync(keys.collectorKeysFile, `${c1?.vkey}\n`);
      ledger.reloadCollectorKeys();
    }
  });

  it('republishes the checkpoint of an idle log with fresh cosignatures', async () => {
    const size = await eventually('a published checkpoint of size 2', async () =>
      notes.some((n) => n.split('\n')[1] === '2') ? true : undefined,
    );
    assert.ok(size);
    const start = notes.length;
    // Cosignature timestamps have a resolution of a second: two republications 1.5 s apart differ.
    const again = await eventually(
      'two republications',
      async () => {
        const same = notes.slice(start).filter((n) => n.split('\n')[1] === '2');
        return same.length >= 2 ? same : undefined;
      },
      10_000,
    );
    const [a, b] = again.map((n) => parseNote(n));
    assert.equal(a?.text, b?.text, 'the same checkpoint');
    const cosig = (n: typeof a) => n?.signatures.find((s) => s.name === witnessKey.name)?.signature;
    assert.ok(cosig(a) !== undefined && cosig(b) !== undefined, 'both cosigned by the witness');
    assert.notDeepEqual(cosig(a), cosig(b), 'with fresh cosignatures');
    const age = await metric('ingress_ledger_ledger_checkpoint_age_seconds');
    assert.ok(age !== undefined && age < 3, `checkpoint age ${age} stays under the republish interval`);
    assert.equal(await metric('ingress_ledger_ledger_witness_quorum_ok'), 1);
  });

  it('goes not ready while NATS is down, logs it without credentials, and is ready again after', async () => {
    await nats.stop();
    const down = await eventually('503', async () => {
      const r = await get('/readyz');
      return r.status === 503 ? r.text : undefined;
    });
    assert.match(down, /^nats: NATS 127\.0\.0\.1:\d+ lost at \d{4}-/m);
    await eventually('NOT_SERVING', async () =>
      (await grpcHealth(ledger.grpcAddress)) === NOT_SERVING ? true : undefined,
    );
    assert.equal((await get('/livez')).status, 200, 'still alive');
    const warn = lines.find((l) => l.msg.startsWith('NATS disconnected'));
    assert.equal(warn?.level, 40);
    assert.equal(warn?.server, `127.0.0.1:${nats.port}`);

    await nats.restart();
    await eventually('200', async () => ((await get('/readyz')).status === 200 ? true : undefined));
    await eventually('SERVING', async () =>
      (await grpcHealth(ledger.grpcAddress)) === SERVING ? true : undefined,
    );
    const info = lines.find((l) => l.msg === 'NATS reconnected');
    assert.equal(info?.level, 30);
  });

  it('goes not ready when the witness quorum stays missed beyond the grace, and back', async () => {
    await witness?.close();
    witness = undefined;
    const down = await eventually('503', async () => {
      const r = await get('/readyz');
      return r.status === 503 ? r.text : undefined;
    });
    assert.match(down, /^witness-quorum: witness quorum missed since /m);
    assert.equal(await metric('ingress_ledger_ledger_witness_quorum_ok'), 0);
    await eventually('NOT_SERVING', async () =>
      (await grpcHealth(ledger.grpcAddress)) === NOT_SERVING ? true : undefined,
    );

    await startW();
    await eventually('200', async () => ((await get('/readyz')).status === 200 ? true : undefined));
    assert.equal(await metric('ingress_ledger_ledger_witness_quorum_ok'), 1);
    await eventually('SERVING', async () =>
      (await grpcHealth(ledger.grpcAddress)) === SERVING ? true : undefined,
    );
  });
});

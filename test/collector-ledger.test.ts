// Issue 4 end to end: audit events posted to the collector's webhook (real HTTP), through a real
// nats-server, into the real ledger (in process, real SQLite), read back over gRPC.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openLeaf } from '../packages/change/index.js';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import { Registry, silentLogger } from '../packages/runtime/index.js';
import { generateKey, parseVkey } from '../packages/tlog/index.js';
import { type RunningCollector, startCollector } from '../services/collector/index.js';
import { firehoseDelivery, gkeEntryOf, pubsubPush } from '../services/collector/testing.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';
import { REPO_ROOT } from './support/shared.js';

const FIXTURES = join(REPO_ROOT, 'services', 'collector', 'testdata');
const TOKEN = 'e2e-token-0123456789abcdef';
const events = readFileSync(join(FIXTURES, 'audit-events.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as { auditID: string });
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  {
    label: string;
    skipped?: string;
    action?: string;
    name?: string;
    responseCode?: number;
    reason?: string | null;
    bodiesOut?: number;
  }
>;
const wanted = Object.entries(expected).filter(([, e]) => e.skipped === undefined);
const eventList = (items: unknown[]) =>
  JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items });

describe('collector to ledger', { skip: haveNatsServer() ? false : 'nats-server is not installed' }, () => {
  let nats: NatsServer;
  let dir: string;
  let ledger: RunningLedger;
  let collector: RunningCollector;
  let client: ReturnType<typeof createClient<typeof Ledger>>;
  const collectorKey = generateKey('collector/e2e');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-e2e-'));
    nats = await startNatsServer();
    const logKey = generateKey('ledger.test/collector-e2e');
    writeFileSync(join(dir, 'log.key'), `${logKey.skey}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'collectors.vkeys'), `${collectorKey.vkey}\n`);
    ledger = await startLedger(
      ledgerConfig({
        'data-dir': join(dir, 'data'),
        'nats-url': nats.url,
        'grpc-listen': '127.0.0.1:0',
        key: join(dir, 'log.key'),
        'collector-keys': join(dir, 'collectors.vkeys'),
        'checkpoint-interval': '50ms',
        'batch-age': '20ms',
        'verify-workers': '1',
      }),
      { logger: silentLogger() },
    );
    collector = await startCollector(
      {
        cluster: 'e2e',
        key: collectorKey,
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: TOKEN,
      },
      { logger: silentLogger(), registry: new Registry() },
    );
    client = createClient(Ledger, ledger.grpcAddress);
  });
  after(async () => {
    client?.close();
    await collector?.close();
    await ledger?.close();
    await nats?.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (body: string) =>
    (
      await fetch(collector.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body,
      })
    ).status;

  it('holds exactly the expected changes, once each, after batches are posted twice', async () => {
    assert.equal(await post(eventList(events.slice(0, 10))), 200);
    assert.equal(await post(eventList(events.slice(10))), 200);
    assert.equal(await post(eventList(events)), 200); // the apiserver retrying everything
    assert.equal(await post(eventList([{ ...events[0], auditID: undefined }])), 200); // rejected, not logged

    const until = Date.now() + 20_000;
    let size = 0n;
    while (Date.now() < until) {
      size = (await client.getCheckpoint({})).size;
      if (size >= BigInt(wanted.length)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(size, BigInt(wanted.length));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await client.getCheckpoint({})).size, BigInt(wanted.length), 'nothing more arrives');

    const got = new Map<string, unknown>();
    for (let start = 0n; start < size; ) {
      const { entries } = await client.getEntries({ start, end: size });
      assert.ok(entries.length > 0);
      for (const entry of entries) {
        const { change } = openLeaf(entry.leaf, [parseVkey(collectorKey.vkey)]);
        assert.ok(!got.has(change.auditID), `${change.auditID} once`);
        got.set(change.auditID, change);
        const e = expected[change.auditID];
        assert.ok(e !== undefined && e.skipped === undefined, change.auditID);
        assert.equal(change.action, e.action, e.label);
        assert.equal(change.object.name, e.name, e.label);
        assert.equal(change.responseCode, e.responseCode, e.label);
        assert.equal(change.reason, e.reason, e.label);
        assert.equal(change.source, 'audit-webhook');
        if (e.bodiesOut !== undefined) {
          assert.equal(entry.bodies.length, e.bodiesOut, 'bodies returned with the entry');
          for (const b of entry.bodies) {
            assert.equal(createHash('sha256').update(b.data).digest('hex'), b.sha256);
          }
        }
      }
      start += BigInt(entries.length);
    }
    assert.deepEqual([...got.keys()].sort(), wanted.map(([id]) => id).sort());
  });

  it('logs the changes of the managed-cluster sources with their source, and a replay once', async () => {
    const from = (await client.getCheckpoint({})).size;
    const as = (id: string) => ({ ...events[0], auditID: id });
    const send = (path: string, body: string, headers: Record<string, string>) =>
      fetch(`${collector.webhookUrl}sources/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      }).then((r) => r.status);
    const firehose = firehoseDelivery('e2e-1', [[JSON.stringify(as('via-firehose'))]]);
    const fhHeaders = { 'x-amz-firehose-request-id': 'e2e-1', 'x-amz-firehose-access-key': TOKEN };
    const push = pubsubPush(JSON.stringify(gkeEntryOf(as('via-pubsub'))));
    const records = JSON.stringify({
      records: [{ properties: { log: JSON.stringify(as('via-eventhubs')) } }],
    });
    const bearer = { authorization: `Bearer ${TOKEN}` };
    for (let i = 0; i < 2; i++) {
      assert.equal(await send('eks-firehose', firehose, fhHeaders), 200);
      assert.equal(await send('gke-pubsub', push, bearer), 200);
      assert.equal(await send('aks-eventhubs', records, bearer), 200);
    }
    const until = Date.now() + 20_000;
    while (Date.now() < until && (await client.getCheckpoint({})).size < from + 3n) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300));
    const size = (await client.getCheckpoint({})).size;
    assert.equal(size, from + 3n);
    const { entries } = await client.getEntries({ start: from, end: size });
    const sources = Object.fromEntries(
      entries.map((e) => {
        const { change } = openLeaf(e.leaf, [parseVkey(collectorKey.vkey)]);
        return [change.auditID, change.source];
      }),
    );
    assert.deepEqual(sources, {
      'via-firehose': 'eks-firehose',
      'via-pubsub': 'gke-pubsub',
      'via-eventhubs': 'aks-eventhubs',
    });
  });
});

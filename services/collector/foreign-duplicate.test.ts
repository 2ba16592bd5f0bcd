import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { openLeaf } from '../../packages/change/index.js';
import { changesSubject, ensureStreams, Registry, silentLogger } from '../../packages/runtime/index.js';
import { generateKey, type PrivateKey, parseVkey } from '../../packages/tlog/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { REPO_ROOT } from '../../test/support/shared.js';
import { type RunningCollector, startCollector } from './index.js';
import { StreamReader, waitFor } from './testing.js';

const TOKEN = 'dup-token-0123456789abcdef';
/** Short, so that the test sees the retry land once the window has passed. */
const DUPLICATE_WINDOW_MS = 1500;
// The fixture's first event is a recorded create.
const event = JSON.parse(
  readFileSync(join(REPO_ROOT, 'services', 'collector', 'testdata', 'audit-events.jsonl'), 'utf8').split(
    '\n',
  )[0] ?? '',
) as { auditID: string };
const body = JSON.stringify({
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items: [event],
});

async function post(url: string): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

async function metricValue(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return 0;
  return (await m.get()).values.reduce((s, v) => s + v.value, 0);
}

describe('a duplicate PubAck', { skip: haveNatsServer() ? false : 'nats-server is not installed' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let key: PrivateKey;
  let registry: Registry;
  let collector: RunningCollector;
  let reader: StreamReader;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc), { duplicateWindowMs: DUPLICATE_WINDOW_MS });
    key = generateKey('collector/test');
    registry = new Registry();
    collector = await startCollector(
      {
        cluster: 'test',
        key,
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: TOKEN,
        publishDeadlineMs: 5000,
      },
      { logger: silentLogger(), registry },
    );
    reader = await StreamReader.connect(nats.url);
  });
  after(async () => {
    await reader?.close();
    await collector?.close();
    await nc?.close();
    await nats?.stop({ removeStore: true });
  });

  describe("when someone else published junk under the event's message id first", () => {
    it('is not answered 200, and the event lands once the duplicate window has passed', async () => {
      const h = headers();
      h.set('Nats-Msg-Id', `test/${event.auditID}`);
      const junk = await nc.request(changesSubject('test'), 'junk', { headers: h, timeout: 5000 });
      assert.equal(junk.json<{ seq: number }>().seq, 1);

      assert.equal(await post(collector.webhookUrl), 503);
      assert.equal(await metricValue(registry, 'ingress_ledger_collector_foreign_duplicates_total'), 1);

      let status = 0;
      await waitFor(
        async () => {
          status = await post(collector.webhookUrl);
          return status === 200;
        },
        30_000,
        'the retry to land after the duplicate window',
      );
      const msgs = await reader.changes();
      assert.equal(msgs.length, 2);
      const opened = openLeaf(msgs[1]?.data ?? new Uint8Array(), [parseVkey(key.vkey)]);
      assert.equal(opened.change.auditID, event.auditID);
    });
  });

  describe('when the stored message is our own (a retried batch, signed again)', () => {
    it('is answered 200 as a duplicate, and nothing more is stored', async () => {
      const stored = (await reader.changes()).length;
      const duplicates = await metricValue(registry, 'ingress_ledger_collector_changes_duplicate_total');
      // Two posts well inside the window: the second at least is a duplicate of our own message.
      assert.equal(await post(collector.webhookUrl), 200);
      assert.equal(await post(collector.webhookUrl), 200);
      assert.ok((await reader.changes()).length <= stored + 1);
      const now = await metricValue(registry, 'ingress_ledger_collector_changes_duplicate_total');
      assert.ok(now >= duplicates + 1, `duplicates ${duplicates} -> ${now}`);
    });
  });
});

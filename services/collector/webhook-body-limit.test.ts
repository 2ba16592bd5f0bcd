// The webhook's body limit is the kube-apiserver's largest default batch (plus room): a 10 MiB
// batch, as --audit-webhook-truncate-max-batch-size allows by default, is stored; a body over
// --max-body-bytes is answered 413 and logged with the peer and the limit. Plain HTTP, no gzip.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from '../../packages/runtime/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { REPO_ROOT } from '../../test/support/shared.js';
import { APISERVER_MAX_BATCH_BYTES, DEFAULT_MAX_BODY_BYTES } from './config.js';
import { type RunningCollector, startCollector } from './index.js';

const TOKEN = 'limit-token-0123456789abcdef';

/** An EventList of the fixture events, padded with ConfigMap events (not recorded) to `bytes`. */
function batchOf(bytes: number): Buffer {
  const ingress = readFileSync(
    join(REPO_ROOT, 'services', 'collector', 'testdata', 'audit-events.jsonl'),
    'utf8',
  )
    .split('\n')
    .filter((l) => l !== '');
  const pad = (i: number, size: number) =>
    JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      auditID: `pad-${i}`,
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/shop/configmaps',
      verb: 'create',
      user: { username: 'alice@example.com' },
      objectRef: { resource: 'configmaps', namespace: 'shop', name: `cm-${i}`, apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: { apiVersion: 'v1', kind: 'ConfigMap', data: { blob: 'x'.repeat(size) } },
    });
  const head = '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[';
  const items = [...ingress.slice(0, 5)];
  let size = head.length + 2 + items.reduce((n, s) => n + s.length + 1, 0);
  for (let i = 0; size < bytes; i++) {
    const e = pad(i, Math.min(25_000, bytes - size));
    items.push(e);
    size += e.length + 1;
  }
  return Buffer.from(`${head}${items.join(',')}]}`);
}

describe('the webhook body limit', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
}, () => {
  let nats: NatsServer;
  let collector: RunningCollector;
  const lines: { msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const post = async (body: Buffer) =>
    (
      await fetch(collector.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body,
      })
    ).status;

  before(async () => {
    nats = await startNatsServer();
    collector = await startCollector(
      {
        cluster: 'limit',
        key: generateKey('collector/limit'),
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: TOKEN,
        workers: 1,
      },
      { logger, registry: new Registry() },
    );
  });
  after(async () => {
    await collector?.close();
    await nats?.stop({ removeStore: true });
  });

  it("defaults to the apiserver's largest batch, with room to spare", () => {
    assert.equal(APISERVER_MAX_BATCH_BYTES, 10 * 1024 * 1024);
    assert.ok(DEFAULT_MAX_BODY_BYTES > APISERVER_MAX_BATCH_BYTES);
  });

  it('stores a 10 MiB batch', { timeout: 60_000 }, async () => {
    const body = batchOf(APISERVER_MAX_BATCH_BYTES);
    assert.ok(body.length >= APISERVER_MAX_BATCH_BYTES);
    assert.equal(await post(body), 200);
  });

  it('answers 413 to a body over the limit and logs the peer and the limit', async () => {
    assert.equal(await post(batchOf(DEFAULT_MAX_BODY_BYTES + 1)), 413);
    const line = lines.find((l) => /over --max-body-bytes/.test(l.msg));
    assert.equal(line?.peer, '127.0.0.1');
    assert.equal(line?.limitBytes, DEFAULT_MAX_BODY_BYTES);
  });
});

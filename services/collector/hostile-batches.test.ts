// Webhook bodies built to cost the collector more than they are worth: too many items, too many
// malformed items, and one event nested past what recursion can walk.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REJECTION_HEADER, Registry, silentLogger } from '../../packages/runtime/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { REPO_ROOT } from '../../test/support/shared.js';
import { type RunningCollector, startCollector } from './index.js';
import { StreamReader } from './testing.js';

const TOKEN = 'hostile-token-0123456789abcdef';
const MAX_REJECTED = 100;
const fixture = JSON.parse(
  readFileSync(join(REPO_ROOT, 'services', 'collector', 'testdata', 'audit-events.jsonl'), 'utf8').split(
    '\n',
  )[0] ?? '',
) as Record<string, unknown>;
const listOf = (itemsJson: string) =>
  `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[${itemsJson}]}`;

async function post(url: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('hostile webhook bodies', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
}, () => {
  let nats: NatsServer;
  let collector: RunningCollector;
  let reader: StreamReader;

  before(async () => {
    nats = await startNatsServer();
    collector = await startCollector(
      {
        cluster: 'test',
        key: generateKey('collector/test'),
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: TOKEN,
        publishDeadlineMs: 20_000,
        maxRejectedItems: MAX_REJECTED,
        workers: 1,
      },
      { logger: silentLogger(), registry: new Registry() },
    );
    reader = await StreamReader.connect(nats.url);
  });
  after(async () => {
    await reader?.close();
    await collector?.close();
    await nats?.stop({ removeStore: true });
  });

  describe('when a body holds a million empty items', () => {
    it('is answered 400 naming the count, stores nothing, and costs bounded memory', async () => {
      const before = process.memoryUsage().rss;
      const r = await post(collector.webhookUrl, listOf(new Array(1_000_000).fill('{}').join(',')));
      const grew = process.memoryUsage().rss - before;
      assert.equal(r.status, 400);
      assert.match(String(r.json.message), /^1000000 items in one request; at most 10000/);
      assert.equal(await reader.count('INGRESS_REJECTED'), 0);
      assert.equal(await reader.count('INGRESS_CHANGES'), 0);
      // It once took the collector from 97 MB to 2.6 GB.
      assert.ok(grew < 600 * 1024 * 1024, `resident memory grew by ${grew} bytes`);
    });
  });

  describe('when most of a body is junk', () => {
    it('is answered 400 with the count, and at most max-rejected-items rejections are stored', async () => {
      const junk = Array.from({ length: 2400 }, (_, i) => JSON.stringify({ junk: i }));
      const r = await post(collector.webhookUrl, listOf(junk.join(',')));
      assert.equal(r.status, 400);
      assert.match(String(r.json.message), /more than 100 of 2400 items are not valid audit events/);
      const stored = await reader.count('INGRESS_REJECTED');
      assert.ok(stored > 0 && stored <= MAX_REJECTED, `${stored} rejections stored`);
    });

    it('is published as usual up to the limit', async () => {
      const before = await reader.count('INGRESS_REJECTED');
      const junk = Array.from({ length: MAX_REJECTED }, (_, i) => JSON.stringify({ fine: i }));
      const r = await post(collector.webhookUrl, listOf(junk.join(',')));
      assert.equal(r.status, 200);
      assert.equal(r.json.rejected, MAX_REJECTED);
      assert.equal(await reader.count('INGRESS_REJECTED'), before + MAX_REJECTED);
    });
  });

  describe('when one event of a batch nests 12,000 levels deep', () => {
    it('rejects that one item and publishes the rest', async () => {
      const depth = 12_000;
      const deep = { ...fixture, auditID: 'deep-1', requestObject: '@' };
      const deepText = JSON.stringify(deep).replace('"@"', '['.repeat(depth) + ']'.repeat(depth));
      const rejectedBefore = await reader.count('INGRESS_REJECTED');
      const r = await post(collector.webhookUrl, listOf(`${JSON.stringify(fixture)},${deepText}`));
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.published, 1);
      assert.equal(r.json.rejected, 1);
      const rejected = (await reader.rejected()).slice(rejectedBefore);
      assert.equal(rejected.length, 1);
      assert.match(rejected[0]?.headers.get(REJECTION_HEADER) ?? '', /^TOO_DEEP: /);
      assert.match(Buffer.from(rejected[0]?.data ?? []).toString(), /nested deeper than 100 levels: cut/);
    });
  });
});

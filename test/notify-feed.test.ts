// The changes feed of the notify service (issue 15): every change of the log streamed to
// Elasticsearch `_bulk`, Loki push and Splunk HEC receivers on loopback that check each protocol's
// format and authentication. A real ledger (in process, gRPC on loopback) and nats-server. Shows:
// each change arrives once at each output; a receiver down then back loses nothing; notify
// restarted mid-stream resumes from its saved position (Elasticsearch still holds each change
// once, thanks to `create` + `_id`).
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Change } from '../packages/change/index.js';
import { changesSubject, ensureStreams } from '../packages/runtime/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import {
  type NotifyRawSettings,
  notifyConfig,
  type RunningNotify,
  startNotify,
} from '../services/notify/index.js';
import { type Received, Receiver } from '../services/notify/testing.js';
import { type KeySetup, makeChange, setupKeys, signChange } from './ledger-fixtures.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const CLUSTER = 'c1';
const silent = pino({ level: 'silent' });

interface Doc {
  id: string;
  index: string;
  checkpointSize: string;
  cluster: string;
  auditID: string;
  [k: string]: unknown;
}

/** An Elasticsearch stand-in: checks the _bulk request, keeps documents by `_id`, answers 409 for a repeat. */
class FakeElasticsearch {
  readonly receiver = new Receiver();
  readonly docs = new Map<string, Doc>();
  creates = 0;
  errors: string[] = [];
  constructor() {
    this.answerNormally();
  }
  answerNormally(): void {
    this.receiver.behaviour = { answer: (r) => this.#bulk(r) };
  }
  #bulk(r: Received): string {
    if (r.path !== '/_bulk') this.errors.push(`path ${r.path}`);
    if (r.headers.authorization !== 'ApiKey es-key') this.errors.push('auth');
    if (r.headers['content-type'] !== 'application/x-ndjson') this.errors.push('content-type');
    if (!r.body.endsWith('\n')) this.errors.push('no final newline');
    const lines = r.body.split('\n').slice(0, -1);
    const items: unknown[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as { create?: { _index: string; _id: string } };
      const doc = JSON.parse(lines[i + 1]!) as Doc;
      if (action.create?._index !== 'audit-changes') this.errors.push(`action ${lines[i]}`);
      const id = action.create?._id ?? '';
      if (id !== `${doc.cluster}/${doc.auditID}`) this.errors.push(`_id ${id}`);
      this.creates++;
      if (this.docs.has(id))
        items.push({ create: { _id: id, status: 409, error: { type: 'version_conflict' } } });
      else {
        this.docs.set(id, doc);
        items.push({ create: { _id: id, status: 201 } });
      }
    }
    return JSON.stringify({
      errors: items.some((x) => (x as { create: { status: number } }).create.status !== 201),
      items,
    });
  }
}

function lokiDocs(r: Received[]): Doc[] {
  const out: Doc[] = [];
  for (const req of r) {
    const body = JSON.parse(req.body) as {
      streams: { stream: Record<string, string>; values: [string, string][] }[];
    };
    for (const s of body.streams) {
      assert.deepEqual(s.stream, { job: 'ingress-ledger', kind: 'change', cluster: CLUSTER });
      for (const [ts, line] of s.values) {
        assert.match(ts, /^\d{19}$/);
        out.push(JSON.parse(line) as Doc);
      }
    }
  }
  return out;
}

function splunkDocs(r: Received[]): Doc[] {
  const out: Doc[] = [];
  for (const req of r) {
    for (const line of req.body.split('\n')) {
      const e = JSON.parse(line) as { sourcetype: string; host: string; time: number; event: Doc };
      assert.equal(e.sourcetype, 'ingress-ledger:change');
      assert.equal(e.host, 'feed-test');
      assert.equal(typeof e.time, 'number');
      out.push(e.event);
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('the changes feed', { skip: haveNatsServer() ? false : 'nats-server is not installed' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let keys: KeySetup;
  let ledger: RunningLedger;
  let es: FakeElasticsearch;
  let loki: Receiver;
  let splunk: Receiver;
  let notify: RunningNotify | undefined;
  let registry: Registry;
  let published = 0;
  let run = 0;

  const file = (name: string, text: string) => {
    const p = join(keys.dir, name);
    writeFileSync(p, `${text}\n`, { mode: 0o600 });
    return p;
  };

  before(async () => {
    keys = setupKeys('feed.test/log', [CLUSTER]);
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc));
    ledger = await startLedger(
      ledgerConfig({
        'data-dir': join(keys.dir, 'ledger'),
        'nats-url': nats.url,
        'grpc-listen': '127.0.0.1:0',
        key: keys.keyFile,
        'collector-keys': keys.collectorKeysFile,
        'checkpoint-interval': '50ms',
        'verify-workers': '1',
      }),
      { logger: silent, registry: new Registry() },
    );
  });

  after(async () => {
    await ledger?.close();
    await nc?.close();
    await nats?.stop({ removeStore: true });
    if (keys) rmSync(keys.dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    es = new FakeElasticsearch();
    await es.receiver.start();
    loki = await new Receiver().start();
    splunk = await new Receiver().start();
    registry = new Registry();
    run++;
  });

  afterEach(async () => {
    await notify?.close();
    notify = undefined;
    await es.receiver.stop();
    await loki.stop();
    await splunk.stop();
  });

  const settings = (): NotifyRawSettings => ({
    'nats-url': nats.url,
    'ledger-address': ledger.grpcAddress,
    'data-dir': join(keys.dir, `notify-${run}`),
    hostname: 'feed-test',
    'retry-backoff': '50ms',
    'retry-backoff-max': '300ms',
    'changes-batch': '7',
    'elasticsearch-url': es.receiver.url,
    'elasticsearch-api-key-file': file('es.key', 'es-key'),
    'elasticsearch-changes': 'on',
    'elasticsearch-changes-index': 'audit-changes',
    'loki-url': loki.url,
    'loki-token-file': file('loki.token', 'loki-token'),
    'loki-tenant': 'team-a',
    'loki-changes': 'on',
    'splunk-url': splunk.url,
    'splunk-token-file': file('splunk.token', 'hec-token'),
    'splunk-changes': 'on',
    // The receivers here check the changes feed only; the alerts these changes raise stay out.
    'elasticsearch-rules': 'no-such-rule',
    'loki-rules': 'no-such-rule',
    'splunk-rules': 'no-such-rule',
  });
  const startFeed = async () => {
    notify = await startNotify(notifyConfig(settings()), { logger: silent, registry });
  };
  /** Publishes `n` changes; returns their auditIDs. */
  const publish = async (n: number): Promise<string[]> => {
    const js = jetstream(nc);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const auditID = `feed-${++published}`;
      const c: Change = {
        ...makeChange(CLUSTER, auditID),
        reason: `ticket ${published}`,
        attribution: { tool: 'argocd', name: 'shop' },
      };
      await js.publish(changesSubject(CLUSTER), signChange(c, keys.collectors.get(CLUSTER)!), {
        msgID: `${CLUSTER}/${auditID}`,
      });
      ids.push(auditID);
    }
    return ids;
  };
  /** Every change so far: the whole log, since each test starts from position 0. */
  const all = () => Array.from({ length: published }, (_, i) => `feed-${i + 1}`);
  const arrived = (docs: Doc[]) => new Set(docs.map((d) => d.auditID));
  const everywhere = (ids: string[]) => () =>
    ids.every((id) => es.docs.has(`${CLUSTER}/${id}`)) &&
    ids.every((id) => arrived(lokiDocs(loki.received)).has(id)) &&
    ids.every((id) => arrived(splunkDocs(splunk.received)).has(id));

  it('sends every change of a workload once to each output, in its protocol and with its auth', async () => {
    await publish(20);
    await startFeed();
    await until('every change at every output', everywhere(all()));
    assert.deepEqual(es.errors, []);
    assert.equal(es.creates, published, 'each change sent once to Elasticsearch');
    for (const r of loki.received) {
      assert.equal(r.path, '/loki/api/v1/push');
      assert.equal(r.headers.authorization, 'Bearer loki-token');
      assert.equal(r.headers['x-scope-orgid'], 'team-a');
    }
    for (const r of splunk.received) {
      assert.equal(r.path, '/services/collector/event');
      assert.equal(r.headers.authorization, 'Splunk hec-token');
    }
    for (const docs of [[...es.docs.values()], lokiDocs(loki.received), splunkDocs(splunk.received)]) {
      assert.equal(docs.length, published, 'no duplicate');
      const byIndex = docs.map((d) => Number(d.index)).sort((a, b) => a - b);
      assert.deepEqual(
        byIndex,
        Array.from({ length: published }, (_, i) => i),
      );
      for (const d of docs) {
        assert.ok(BigInt(d.checkpointSize) > BigInt(d.index), 'a checkpoint that covers the entry');
        const n = Number(d.auditID.slice('feed-'.length));
        const c = makeChange(CLUSTER, d.auditID);
        assert.deepEqual(
          {
            id: d.id,
            cluster: d.cluster,
            object: d.object,
            verb: d.verb,
            action: d.action,
            user: d.user,
            impersonatedUser: d.impersonatedUser,
            reason: d.reason,
            attribution: d.attribution,
            stageTimestamp: d.stageTimestamp,
            sourceIPs: d.sourceIPs,
            responseCode: d.responseCode,
            source: d.source,
          },
          {
            id: `${CLUSTER}/${d.auditID}`,
            cluster: CLUSTER,
            object: c.object,
            verb: 'update',
            action: 'update',
            user: 'alice@example.com',
            impersonatedUser: null,
            reason: `ticket ${n}`,
            attribution: { tool: 'argocd', name: 'shop' },
            stageTimestamp: c.stageTimestamp,
            sourceIPs: c.sourceIPs,
            responseCode: 200,
            source: 'audit-webhook',
          },
        );
      }
    }
    // The receiver records a request before notify reads its answer: the metrics follow shortly.
    const value = async (name: string, output: string) =>
      (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.output === output)?.value;
    for (const o of ['elasticsearch', 'loki', 'splunk']) {
      await until(
        `${o} sent metric`,
        async () => (await value('ingress_ledger_notify_changes_sent_total', o)) === published,
      );
      await until(
        `${o} lag 0`,
        async () => (await value('ingress_ledger_notify_changes_lag_entries', o)) === 0,
      );
    }
  });

  it('loses nothing while a receiver is down, and sends what waited once it is back', async () => {
    await startFeed();
    await until('the log so far', everywhere(all()));
    await loki.stop();
    es.receiver.behaviour = { status: 503 };
    const ids = await publish(15);
    await until('splunk has the new changes', () =>
      ids.every((id) => arrived(splunkDocs(splunk.received)).has(id)),
    );
    assert.ok(ids.some((id) => !es.docs.has(`${CLUSTER}/${id}`)));
    // The lag of the outputs that are down shows what waits for them.
    const lag = async (o: string) =>
      (await registry.getSingleMetric('ingress_ledger_notify_changes_lag_entries')!.get()).values.find(
        (v) => v.labels.output === o,
      )?.value ?? 0;
    await until('elasticsearch lag', async () => (await lag('elasticsearch')) > 0);
    await until('loki lag', async () => (await lag('loki')) > 0);
    es.answerNormally();
    await loki.start();
    await until('every change at every output', everywhere(all()));
    const failed = await registry.getSingleMetric('ingress_ledger_notify_changes_failed_total')!.get();
    assert.ok((failed.values.find((v) => v.labels.output === 'loki')?.value ?? 0) > 0);
    assert.ok((failed.values.find((v) => v.labels.output === 'elasticsearch')?.value ?? 0) > 0);
    assert.equal(lokiDocs(loki.received).length, published, 'loki got each change once');
    assert.equal(es.docs.size, published);
  });

  it('resumes from its saved position after a restart: nothing lost, Elasticsearch holds each change once', async () => {
    await startFeed();
    await until('the log so far', everywhere(all()));
    const before = published;
    // Slow receivers, so that the restart falls in the middle of the stream.
    es.receiver.behaviour = { ...es.receiver.behaviour, delayMs: 150 };
    loki.behaviour = { delayMs: 150 };
    splunk.behaviour = { delayMs: 150 };
    await publish(40);
    await until('part of the stream', () => splunkDocs(splunk.received).length >= before + 14);
    await notify!.close();
    notify = undefined;
    assert.ok(splunkDocs(splunk.received).length < published, 'stopped mid-stream');
    // A crash between the receiver's answer and the save: the position of Elasticsearch one batch back.
    const esPosition = join(keys.dir, `notify-${run}`, 'feed-elasticsearch.position');
    const saved = BigInt(readFileSync(esPosition, 'utf8').trim());
    assert.ok(saved > BigInt(before));
    writeFileSync(esPosition, `${saved - 7n}\n`);
    const createsBefore = es.creates;
    es.answerNormally();
    loki.behaviour = {};
    splunk.behaviour = {};
    await startFeed();
    await until('every change at every output', everywhere(all()));
    assert.ok(es.creates - createsBefore >= published - Number(saved) + 7, 'the last batch was sent again');
    assert.equal(es.docs.size, published, 'Elasticsearch holds each change once');
    assert.deepEqual(es.errors, []);
    // A clean stop saved after the last acknowledged batch: Loki and Splunk got each change once.
    for (const docs of [lokiDocs(loki.received), splunkDocs(splunk.received)])
      assert.equal(new Set(docs.map((d) => d.id)).size, published);
    for (const docs of [lokiDocs(loki.received), splunkDocs(splunk.received)])
      assert.ok(docs.length - published <= 7, `${docs.length - published} duplicates`);
  });

  it('refuses a damaged position file at start instead of starting over', async () => {
    const s = settings();
    const dir = s['data-dir'] as string;
    await startFeed();
    await notify!.close();
    notify = undefined;
    writeFileSync(join(dir, 'feed-loki.position'), 'garbage');
    await assert.rejects(startNotify(notifyConfig(s), { logger: silent, registry }), /feed-loki.position/);
  });
});

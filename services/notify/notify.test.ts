// The notify service against a real nats-server and HTTP receivers on loopback: each protocol's
// request format and authentication, at-least-once delivery through a receiver that is down and
// comes back, a slow receiver, a duplicate, dead letters, filters and hostile messages.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  ALERTS_STREAM,
  type Alert,
  alertsSubject,
  DEAD_ALERTS_STREAM,
  decodeAlert,
  encodeAlert,
  ensureAlertStreams,
} from '../../packages/runtime/index.js';
import { sampleAlert } from '../../packages/runtime/testing.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { type NotifyRawSettings, notifyConfig, type RunningNotify, startNotify } from './index.js';
import { Receiver } from './testing.js';

const skip = haveNatsServer() ? false : 'nats-server is not installed';
const silent = pino({ level: 'silent' });

function alertN(n: number, over: Partial<Alert> = {}): Alert {
  const auditID = `audit-${n}`;
  return sampleAlert({
    auditID,
    id: `prod/${auditID}/nginx-snippet`,
    index: BigInt(n),
    ...over,
    checkpoint: { ...sampleAlert().checkpoint, size: BigInt(n) + 1n },
  });
}

async function metric(registry: Registry, name: string, output: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return 0;
  const v = (await m.get()).values.find((x) => x.labels.output === output && !('le' in x.labels));
  return v?.value ?? 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('the notify service', { skip }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let dir: string;
  let running: RunningNotify | undefined;
  let receiver: Receiver;
  let registry: Registry;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await ensureAlertStreams(jsm);
    dir = mkdtempSync(join(tmpdir(), 'notify-'));
  });

  after(async () => {
    await nc?.close();
    await nats?.stop({ removeStore: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    receiver = await new Receiver().start();
    registry = new Registry();
  });

  afterEach(async () => {
    await running?.close();
    running = undefined;
    await receiver.stop();
    // Each test starts from empty streams and new consumers.
    for (const stream of [ALERTS_STREAM, DEAD_ALERTS_STREAM]) {
      for await (const c of jsm.consumers.list(stream)) await jsm.consumers.delete(stream, c.name);
      await jsm.streams.purge(stream);
    }
  });

  const start = async (raw: NotifyRawSettings) => {
    running = await startNotify(
      notifyConfig({
        'nats-url': nats.url,
        'retry-backoff': '50ms',
        'retry-backoff-max': '200ms',
        hostname: 'notify-test',
        ...raw,
      }),
      { logger: silent, registry },
    );
    return running;
  };
  const publish = (a: Alert) => js.publish(alertsSubject(a.cluster), encodeAlert(a), { msgID: a.id });
  const secretFile = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, `${text}\n`, { mode: 0o600 });
    return p;
  };

  it('POSTs each alert to the webhook, signed with HMAC-SHA256 of the body', async () => {
    await start({
      'alerts-webhook': `${receiver.url}/hook`,
      'alerts-webhook-secret-file': secretFile('hook.secret', 's3cret'),
    });
    const a = alertN(1);
    await publish(a);
    await receiver.waitFor(1);
    const r = receiver.received[0]!;
    assert.equal(r.path, '/hook');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.body, encodeAlert(a));
    assert.deepEqual(decodeAlert(r.body), a);
    const expected = `sha256=${createHmac('sha256', 's3cret').update(r.body).digest('hex')}`;
    assert.equal(r.headers['x-ingress-ledger-signature'], expected);
    assert.equal(r.headers['x-ingress-ledger-alert-id'], a.id);
    await until(
      'the sent metric',
      async () => (await metric(registry, 'ingress_ledger_notify_sent_total', 'webhook')) === 1,
    );
  });

  it('sends the CloudEvents 1.0 structured form when asked', async () => {
    await start({ 'alerts-webhook': receiver.url, 'alerts-webhook-format': 'cloudevents' });
    const a = alertN(2);
    await publish(a);
    await receiver.waitFor(1);
    const r = receiver.received[0]!;
    assert.match(String(r.headers['content-type']), /^application\/cloudevents\+json/);
    assert.equal(r.headers['x-ingress-ledger-signature'], undefined);
    const ev = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(ev.specversion, '1.0');
    assert.equal(ev.id, a.id);
    assert.equal(ev.source, a.checkpoint.origin);
    assert.equal(ev.type, 'dev.ingress-ledger.alert.v1');
    assert.equal(ev.time, a.stageTimestamp);
    assert.equal(ev.datacontenttype, 'application/json');
    assert.deepEqual(ev.data, JSON.parse(encodeAlert(a)));
  });

  it('speaks Slack, Falco, Elasticsearch bulk, Loki push and Splunk HEC', async () => {
    receiver.behaviour = {
      answer: (r) =>
        r.path === '/es/_bulk' ? JSON.stringify({ errors: false, items: [{ create: { status: 201 } }] }) : '',
    };
    await start({
      'slack-webhook-url-file': secretFile('slack.url', `${receiver.url}/services/T0/B0/XYZ`),
      'falco-url': `${receiver.url}/falco`,
      'elasticsearch-url': `${receiver.url}/es`,
      'elasticsearch-api-key-file': secretFile('es.key', 'ZXM6a2V5'),
      'loki-url': `${receiver.url}/loki`,
      'loki-token-file': secretFile('loki.token', 'loki-token'),
      'loki-tenant': 'team-a',
      'splunk-url': `${receiver.url}/splunk`,
      'splunk-token-file': secretFile('splunk.token', '11111111-2222-3333-4444-555555555555'),
      'splunk-index': 'security',
    });
    const a = alertN(3, { consoleUrl: 'https://console.example/?object=shop%2Fweb' });
    await publish(a);
    await receiver.waitFor(5);
    const by = (path: string) => {
      const r = receiver.received.find((x) => x.path === path);
      assert.ok(r, `nothing POSTed to ${path}: ${receiver.received.map((x) => x.path).join(', ')}`);
      return r;
    };

    const slack = JSON.parse(by('/services/T0/B0/XYZ').body) as {
      text: string;
      blocks: { type: string; text?: { text: string } }[];
    };
    assert.match(slack.text, /nginx-snippet/);
    assert.equal(slack.blocks[0]?.type, 'section');
    // Slack's mrkdwn control characters in input are escaped.
    assert.match(slack.blocks[0]?.text?.text ?? '', /&lt;b&gt;&amp;&lt;\/b&gt;/);
    assert.ok(
      slack.blocks.some((b) => b.type === 'actions'),
      'a console button',
    );

    const falco = JSON.parse(by('/falco').body) as Record<string, unknown>;
    assert.ok(typeof falco.output === 'string' && falco.output.length > 0);
    assert.equal(falco.priority, 'Critical');
    assert.equal(falco.rule, 'nginx-snippet');
    assert.equal(falco.time, a.stageTimestamp);
    assert.equal(falco.source, 'k8saudit');
    assert.equal(falco.hostname, 'notify-test');
    assert.ok(Array.isArray(falco.tags));
    assert.equal((falco.output_fields as Record<string, unknown>)['ka.user.name'], a.user);

    const es = by('/es/_bulk');
    assert.equal(es.headers['content-type'], 'application/x-ndjson');
    assert.equal(es.headers.authorization, 'ApiKey ZXM6a2V5');
    const lines = es.body.split('\n');
    assert.equal(lines.length, 3, 'action, document, final newline');
    assert.deepEqual(JSON.parse(lines[0]!), { create: { _index: 'ingress-ledger-alerts', _id: a.id } });
    const doc = JSON.parse(lines[1]!) as Record<string, unknown>;
    assert.equal(doc['@timestamp'], a.stageTimestamp);
    assert.equal(doc.id, a.id);

    const loki = by('/loki/loki/api/v1/push');
    assert.equal(loki.headers.authorization, 'Bearer loki-token');
    assert.equal(loki.headers['x-scope-orgid'], 'team-a');
    const push = JSON.parse(loki.body) as {
      streams: { stream: Record<string, string>; values: [string, string][] }[];
    };
    assert.deepEqual(push.streams[0]?.stream, {
      job: 'ingress-ledger',
      cluster: 'prod',
      rule: 'nginx-snippet',
      severity: 'critical',
    });
    const secs = BigInt(Date.parse('2026-12-05T10:00:00Z') / 1000);
    assert.deepEqual(push.streams[0]?.values, [
      [String(secs * 1_000_000_000n + 123_456_000n), encodeAlert(a)],
    ]);

    const splunk = by('/splunk/services/collector/event');
    assert.equal(splunk.headers.authorization, 'Splunk 11111111-2222-3333-4444-555555555555');
    const hec = JSON.parse(splunk.body) as Record<string, unknown>;
    assert.equal(hec.time, Date.parse(a.stageTimestamp) / 1000);
    assert.equal(hec.sourcetype, 'ingress-ledger:alert');
    assert.equal(hec.index, 'security');
    assert.deepEqual(hec.event, JSON.parse(encodeAlert(a)));
  });

  it('delivers what arrived while the receiver was down once it is back: nothing lost', async () => {
    const port = receiver.port;
    await receiver.stop();
    await start({ 'alerts-webhook': `http://127.0.0.1:${port}/`, 'max-attempts': '1000' });
    const alerts = [10, 11, 12].map((n) => alertN(n));
    for (const a of alerts) await publish(a);
    await until(
      'failed attempts',
      async () => (await metric(registry, 'ingress_ledger_notify_retried_total', 'webhook')) >= 3,
    );
    await receiver.start(port);
    await receiver.waitFor(3);
    assert.deepEqual(
      receiver.received.map((r) => decodeAlert(r.body)?.id).sort(),
      alerts.map((a) => a.id).sort(),
    );
    assert.equal(await metric(registry, 'ingress_ledger_notify_dead_lettered_total', 'webhook'), 0);
  });

  it('keeps delivering after a restart: the consumer is durable', async () => {
    await start({ 'alerts-webhook': receiver.url });
    await publish(alertN(20));
    await receiver.waitFor(1);
    await running?.close();
    running = undefined;
    await publish(alertN(21));
    await start({ 'alerts-webhook': receiver.url });
    await receiver.waitFor(2);
    await sleep(300);
    assert.deepEqual(
      receiver.received.map((r) => decodeAlert(r.body)?.index),
      [20n, 21n],
    );
  });

  it('does not hold up the stream, or other alerts, for a slow receiver', async () => {
    receiver.behaviour = { delayMs: 1500 };
    await start({ 'alerts-webhook': receiver.url });
    const t0 = Date.now();
    for (let n = 30; n < 46; n++) await publish(alertN(n));
    // What the ledger waits for, a PubAck per alert, is not slowed by the receiver.
    assert.ok(Date.now() - t0 < 1000, `publishing took ${Date.now() - t0}ms`);
    // 16 deliveries of 1.5 s each, in parallel: well under 16 × 1.5 s.
    await receiver.waitFor(16, 10_000);
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('sends a duplicate once', async () => {
    await start({ 'alerts-webhook': receiver.url });
    const a = alertN(50);
    const first = await publish(a);
    const second = await publish(a);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq);
    await receiver.waitFor(1);
    await sleep(500);
    assert.equal(receiver.received.length, 1);
  });

  it('dead-letters an alert the receiver refuses for good, at once, and keeps it', async () => {
    receiver.behaviour = { status: 400 };
    await start({ 'alerts-webhook': receiver.url, 'max-attempts': '5' });
    const a = alertN(60);
    await publish(a);
    await until(
      'the dead letter',
      async () => (await metric(registry, 'ingress_ledger_notify_dead_lettered_total', 'webhook')) === 1,
    );
    assert.equal(receiver.refused, 1, 'one attempt: a 400 is not retried');
    const m = await jsm.streams.getMessage(DEAD_ALERTS_STREAM, { last_by_subj: 'notify.dead.webhook' });
    assert.ok(m);
    assert.equal(m.header.get('Alert-Id'), a.id);
    assert.equal(m.header.get('Notify-Output'), 'webhook');
    assert.match(m.header.get('Notify-Failure') ?? '', /^DELIVERY: webhook: the receiver answered HTTP 400/);
    assert.deepEqual(decodeAlert(m.string()), a);
  });

  it('dead-letters after max-attempts retryable failures, backing off between them', async () => {
    receiver.behaviour = { status: 503 };
    await start({ 'alerts-webhook': receiver.url, 'max-attempts': '3' });
    await publish(alertN(70));
    await until(
      'the dead letter',
      async () => (await metric(registry, 'ingress_ledger_notify_dead_lettered_total', 'webhook')) === 1,
    );
    assert.equal(receiver.refused, 3);
    assert.equal(await metric(registry, 'ingress_ledger_notify_failed_total', 'webhook'), 3);
    assert.equal(await metric(registry, 'ingress_ledger_notify_retried_total', 'webhook'), 2);
  });

  it('filters by severity, rule and cluster per output', async () => {
    await start({
      'alerts-webhook': receiver.url,
      'alerts-webhook-min-severity': 'high',
      'alerts-webhook-rules': 'nginx-snippet,tls-removed',
      'alerts-webhook-clusters': 'prod',
    });
    await publish(alertN(80, { severity: 'medium' }));
    await publish(alertN(81, { rule: 'host-exposed', id: 'prod/audit-81/host-exposed' }));
    await publish(alertN(82, { cluster: 'staging', id: 'staging/audit-82/nginx-snippet' }));
    await publish(alertN(83, { severity: 'high', rule: 'tls-removed', id: 'prod/audit-83/tls-removed' }));
    await receiver.waitFor(1);
    await until(
      'filtered count',
      async () => (await metric(registry, 'ingress_ledger_notify_filtered_total', 'webhook')) === 3,
    );
    assert.deepEqual(
      receiver.received.map((r) => decodeAlert(r.body)?.index),
      [83n],
    );
  });

  it('dead-letters a message that is not an alert and delivers the rest', async () => {
    await start({ 'alerts-webhook': receiver.url });
    await js.publish(alertsSubject('prod'), '{"index":1,"not":"an alert"}', { msgID: 'junk-1' });
    await js.publish(alertsSubject('prod'), new Uint8Array([0xff, 0xfe, 0x00]), { msgID: 'junk-2' });
    await publish(alertN(90));
    await receiver.waitFor(1);
    await until(
      'malformed count',
      async () => (await metric(registry, 'ingress_ledger_notify_malformed_total', 'webhook')) === 2,
    );
    assert.equal(await metric(registry, 'ingress_ledger_notify_dead_lettered_total', 'webhook'), 2);
  });
});

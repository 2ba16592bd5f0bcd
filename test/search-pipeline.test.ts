// Risk rules through the whole pipeline: audit events from the real example manifests go through
// the collector's webhook, JetStream, the ledger's ingest and search index, and come out as alerts
// on ledger.alerts.<cluster> and as findings of SearchEntries; hostile search requests over gRPC
// get INVALID_ARGUMENT. Real nats-server, SQLite and HTTP/gRPC on loopback.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Change } from '../packages/change/index.js';
import { Ledger } from '../packages/proto/index.js';
import { changeOf, edited, RULE_CASES } from '../packages/risk/testing/index.js';
import { createClient, RpcError } from '../packages/rpc/index.js';
import { type Alert, alertsSubject, decodeAlert, writeKeyFiles } from '../packages/runtime/index.js';
import { generateKey } from '../packages/tlog/index.js';
import { type RunningCollector, startCollector } from '../services/collector/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';
import { SHARED_MISSING, sharedTestdata } from './support/shared.js';

const CLUSTER = 'sp';
const TOKEN = 'search-pipeline-token';
const skip = !haveNatsServer()
  ? 'nats-server is not installed'
  : sharedTestdata('k8s-audit') === undefined
    ? SHARED_MISSING
    : false;

/** The audit event the kube-apiserver would have sent for a change. */
function auditEvent(c: Change): Record<string, unknown> {
  const o = c.object;
  const path = `/apis/${o.group}/${o.version}${o.namespace ? `/namespaces/${o.namespace}` : ''}/${o.resource}/${o.name}`;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: c.auditID,
    stage: 'ResponseComplete',
    requestURI: path,
    verb: c.verb,
    user: c.user,
    ...(c.impersonatedUser ? { impersonatedUser: c.impersonatedUser } : {}),
    sourceIPs: c.sourceIPs,
    userAgent: c.userAgent,
    objectRef: {
      resource: o.resource,
      namespace: o.namespace,
      name: o.name,
      apiGroup: o.group,
      apiVersion: o.version,
    },
    responseStatus: { metadata: {}, code: c.responseCode },
    ...(c.request === null ? {} : { requestObject: c.request }),
    ...(c.response === null ? {} : { responseObject: c.response }),
    requestReceivedTimestamp: c.requestReceivedTimestamp,
    stageTimestamp: c.stageTimestamp,
  };
}

/** Puts a case's object in its own namespace (cluster-scoped kinds: its own name). */
function isolate(o: unknown, n: number): unknown {
  return edited(o, (x) => {
    x.metadata.name = `case-${n}-${x.metadata.name}`;
    if (x.kind !== 'IngressClass' && x.kind !== 'GatewayClass') x.metadata.namespace = `case-${n}`;
    x.metadata.uid = `uid-case-${n}`;
  });
}

const until = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('search and risk alerts through the whole pipeline', { skip }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let ledger: RunningLedger;
  let collector: RunningCollector;
  let client: ReturnType<typeof createClient<typeof Ledger>>;
  let root: string;
  const alerts: Alert[] = [];
  // Only cases that run with the default rule settings: the ledger has one settings file.
  const cases = RULE_CASES.filter((c) => c.config === undefined);

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'search-pipeline-'));
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const sub = nc.subscribe(alertsSubject(CLUSTER));
    void (async () => {
      for await (const m of sub) {
        const alert = decodeAlert(m.string());
        assert.ok(alert !== undefined, `not an alert message: ${m.string()}`);
        alerts.push(alert);
      }
    })();
    const logKey = generateKey('example.com/search-pipeline');
    const collectorKey = generateKey(`collector/${CLUSTER}`);
    writeKeyFiles(join(root, 'log'), logKey.skey, logKey.vkey);
    writeFileSync(join(root, 'collectors.vkeys'), `${collectorKey.vkey}\n`);
    const silent = pino({ level: 'silent' });
    ledger = await startLedger(
      ledgerConfig({
        'data-dir': join(root, 'ledger'),
        'nats-url': nats.url,
        'grpc-listen': '127.0.0.1:0',
        key: join(root, 'log.key'),
        'collector-keys': join(root, 'collectors.vkeys'),
        origin: logKey.name,
        'checkpoint-interval': '50ms',
        'verify-workers': '1',
      }),
      { logger: silent, registry: new Registry() },
    );
    collector = await startCollector(
      {
        cluster: CLUSTER,
        key: collectorKey,
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: TOKEN,
      },
      { logger: silent, registry: new Registry() },
    );
    client = createClient(Ledger, ledger.grpcAddress);
    // One EventList per case, its steps in order, as an API server batches them.
    for (const [n, c] of cases.entries()) {
      const items = c
        .steps()
        .map((s) => auditEvent(changeOf({ ...s, cluster: CLUSTER, object: isolate(s.object, n) })));
      const res = await fetch(collector.webhookUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items }),
      });
      assert.equal(res.status, 200, await res.text());
    }
  });

  after(async () => {
    client?.close();
    await collector?.close();
    await ledger?.close();
    await nc?.close();
    await nats?.stop({ removeStore: true });
    rmSync(root, { recursive: true, force: true });
  });

  /** The published entries of case n, oldest first. */
  const entriesOf = async (n: number, steps: number) =>
    until(`case ${n} to be searchable`, async () => {
      const res = await client.searchEntries({ namespace: `case-${n}`, pageSize: 100 });
      const byName = await client.searchEntries({ text: `case-${n}`, pageSize: 100 });
      const results = res.results.length > 0 ? res.results : byName.results;
      return results.length >= steps ? [...results].reverse() : undefined;
    });

  it('gives each rule a positive and a negative case', () => {
    for (const rule of new Set(cases.map((c) => c.rule))) {
      assert.ok(
        cases.some((c) => c.rule === rule && c.fires) && cases.some((c) => c.rule === rule && !c.fires),
        rule,
      );
    }
  });

  for (const [n, c] of RULE_CASES.filter((x) => x.config === undefined).entries()) {
    it(`${c.rule}: ${c.fires ? 'alerts' : 'does not alert'} when ${c.name}`, async () => {
      const results = await entriesOf(n, c.steps().length);
      const last = results.at(-1);
      assert.ok(last?.entry);
      const index = last.entry.index;
      const matches = (f: { rule: string; path: string }) =>
        f.rule === c.rule && (c.path === undefined || f.path === c.path);
      assert.equal(last.findings.some(matches), c.fires, JSON.stringify(last.findings));
      if (c.fires) {
        await until(`alert ${c.rule} for index ${index}`, async () =>
          alerts.some((a) => a.index === index && matches(a)) ? true : undefined,
        );
        const a = alerts.find((x) => x.index === index && matches(x));
        assert.equal(a?.cluster, CLUSTER);
      } else {
        // Alerts are published right after the commit, before the entry can be searched.
        assert.equal(
          alerts.some((a) => a.index === index && matches(a)),
          false,
        );
      }
    });
  }

  it('finds the alerted entries by risk over gRPC', async () => {
    const res = await client.searchEntries({ risk: 'nginx-snippet', pageSize: 10 });
    assert.ok(res.results.length > 0);
    assert.ok(res.results.every((r) => r.findings.some((f) => f.rule === 'nginx-snippet')));
  });

  it('shows findings and diffs in GetObjectHistory over gRPC', async () => {
    const n = cases.findIndex((c) => c.rule === 'tls-removed' && c.fires);
    const res = await client.getObjectHistory({
      cluster: CLUSTER,
      namespace: `case-${n}`,
      name: `case-${n}-docker-registry`,
    });
    assert.equal(res.versions.length, 2);
    assert.ok(res.versions[1]?.findings.some((f) => f.rule === 'tls-removed'));
    assert.ok(res.versions[1]?.diff.some((d) => d.op === 'remove' && d.path.startsWith('/spec/tls')));
  });

  for (const [name, req] of [
    ['page_size 1001', { pageSize: 1001 }],
    ['a 10 KB text', { text: 'x'.repeat(10_240) }],
    ['a bad page token', { pageToken: 'AAAA' }],
    ['an unknown rule', { risk: 'nope' }],
  ] as const) {
    it(`answers ${name} with INVALID_ARGUMENT`, async () => {
      await assert.rejects(
        client.searchEntries(req),
        (e: unknown) => e instanceof RpcError && e.code === status.INVALID_ARGUMENT,
      );
    });
  }
});

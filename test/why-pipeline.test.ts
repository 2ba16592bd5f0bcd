// The why of a change through the whole pipeline (issue 18): one audit event per tool
// (test/why-fixtures.ts, built from the shared manifests) goes through the collector's webhook,
// JetStream and the ledger into a signed leaf and the search index. Each leaf carries the
// documented attribution and reason; search finds it by attribution and by a missing reason; the
// reason-missing finding (turned on in the rules file) marks only the person without a reason;
// `history` prints the reason and the source. Real nats-server, SQLite, HTTP and gRPC on loopback.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type Change, canonicalJson } from '../packages/change/index.js';
import { Ledger, type SearchResult } from '../packages/proto/index.js';
import { createClient, RpcError } from '../packages/rpc/index.js';
import { writeKeyFiles } from '../packages/runtime/index.js';
import { generateKey, parseNote } from '../packages/tlog/index.js';
import { cli } from '../services/cli/testing/run-cli.js';
import { type RunningCollector, startCollector } from '../services/collector/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';
import { whyFixtures } from './why-fixtures.js';

const CLUSTER = 'why';
const TOKEN = 'why-pipeline-token';
const skip = haveNatsServer() ? false : 'nats-server is not installed';

const until = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const changeOf = (r: SearchResult): Change =>
  JSON.parse(parseNote(r.entry?.leaf ?? new Uint8Array()).text) as Change;

describe('the why of a change through the whole pipeline', { skip }, () => {
  let nats: NatsServer;
  let ledger: RunningLedger;
  let collector: RunningCollector;
  let client: ReturnType<typeof createClient<typeof Ledger>>;
  let root: string;
  const fixtures = whyFixtures();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'why-pipeline-'));
    nats = await startNatsServer();
    const logKey = generateKey('example.com/why-pipeline');
    const collectorKey = generateKey(`collector/${CLUSTER}`);
    writeKeyFiles(join(root, 'log'), logKey.skey, logKey.vkey);
    writeFileSync(join(root, 'collectors.vkeys'), `${collectorKey.vkey}\n`);
    writeFileSync(join(root, 'rules.yaml'), 'rules:\n  reason-missing:\n    enabled: true\n');
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
        'rules-file': join(root, 'rules.yaml'),
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
    const res = await fetch(collector.webhookUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'EventList',
        apiVersion: 'audit.k8s.io/v1',
        items: fixtures.map((f) => f.event),
      }),
    });
    assert.equal(res.status, 200, await res.text());
    await until('every fixture to be searchable', async () => {
      const r = await client.searchEntries({ cluster: CLUSTER, pageSize: 100 });
      return r.results.length >= fixtures.length ? true : undefined;
    });
  });

  after(async () => {
    client?.close();
    await collector?.close();
    await ledger?.close();
    await nats?.stop({ removeStore: true });
    rmSync(root, { recursive: true, force: true });
  });

  for (const [n, f] of fixtures.entries()) {
    it(`${f.name}: the leaf carries the documented attribution and reason`, async () => {
      const r = await client.searchEntries({ namespace: `why-${n}`, pageSize: 10 });
      assert.equal(r.results.length, 1);
      const result = r.results[0] as SearchResult;
      const c = changeOf(result);
      assert.deepEqual(c.attribution, f.attribution);
      assert.equal(c.reason, f.reason);
      assert.equal(canonicalJson(c).includes('managedFields'), false);
      assert.equal(
        result.findings.some((x) => x.rule === 'reason-missing'),
        f.human && f.reason === null,
        JSON.stringify(result.findings),
      );
      if (f.attribution !== undefined) {
        const key =
          f.attribution.name === undefined
            ? f.attribution.tool
            : `${f.attribution.tool}:${f.attribution.name}`;
        const byAttribution = await client.searchEntries({ attribution: key, pageSize: 100 });
        assert.ok(
          byAttribution.results.some((x) => x.entry?.index === result.entry?.index),
          `--attribution ${key}`,
        );
      }
    });
  }

  it('finds exactly the changes without a reason', async () => {
    const r = await client.searchEntries({ cluster: CLUSTER, reasonMissing: true, pageSize: 100 });
    const names = r.results.map((x) => changeOf(x).auditID).sort();
    const want = fixtures
      .filter((f) => f.reason === null)
      .map((f) => String(f.event.auditID))
      .sort();
    assert.deepEqual(names, want);
  });

  it('finds the one person without a reason by the reason-missing finding', async () => {
    const r = await client.searchEntries({ risk: 'reason-missing', pageSize: 100 });
    assert.deepEqual(
      r.results.map((x) => changeOf(x).auditID),
      ['why-6-human-edit-without-reason'],
    );
  });

  it('shows the reason and the attributed source in `history` and `search`', async () => {
    const withReason = fixtures.findIndex((f) => f.name === 'human-edit-with-reason');
    const f = fixtures[withReason];
    assert.ok(f);
    const name = (f.event.objectRef as { name: string }).name;
    const h = await cli([
      'history',
      '--grpc',
      ledger.grpcAddress,
      '--cluster',
      CLUSTER,
      `why-${withReason}/${name}`,
    ]);
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /reason: INC-4711: move \/api to the new backend/);
    assert.match(h.stdout, /source: kubectl kubectl-edit @v1\.31\.2/);
    const s = await cli(['search', '--grpc', ledger.grpcAddress, '--attribution', 'argocd:shop']);
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /\(argocd shop @3f2c1e9a7b5d\)/);
    const missing = await cli(['search', '--grpc', ledger.grpcAddress, '--reason-missing', '--json']);
    assert.equal(missing.status, 0, missing.stderr);
    assert.equal(missing.stdout.trim().split('\n').length, fixtures.filter((x) => x.reason === null).length);
  });

  for (const attribution of [':shop', 'argocd:', 'argo cd', 'x'.repeat(2000)]) {
    it(`answers --attribution ${JSON.stringify(attribution.slice(0, 20))} with INVALID_ARGUMENT`, async () => {
      await assert.rejects(
        client.searchEntries({ attribution }),
        (e: unknown) => e instanceof RpcError && e.code === status.INVALID_ARGUMENT,
      );
    });
  }
});

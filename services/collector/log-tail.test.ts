import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { Registry, silentLogger } from '../../packages/runtime/index.js';
import { generateKey, openNote, type PrivateKey, parseVkey } from '../../packages/tlog/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { REPO_ROOT, SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import { type RunningCollector, startCollector } from './index.js';
import { StreamReader, waitFor } from './testing.js';

const FIXTURES = join(REPO_ROOT, 'services', 'collector', 'testdata');
const lines = readFileSync(join(FIXTURES, 'audit-events.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l !== '');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  { skipped?: string }
>;
const isChange = (line: string) =>
  expected[(JSON.parse(line) as { auditID: string }).auditID]?.skipped === undefined;
/** The fixture lines again under new audit IDs (a second round of changes). */
const renamed = (tag: string) =>
  lines.map((l) => {
    const e = JSON.parse(l) as { auditID: string };
    return JSON.stringify({ ...e, auditID: `${tag}-${e.auditID}` });
  });
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

async function metricValue(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return 0;
  return (await m.get()).values.reduce((s, v) => s + v.value, 0);
}

describe('the audit-log tail', { skip: haveNatsServer() ? false : 'nats-server is not installed' }, () => {
  let nats: NatsServer;
  let key: PrivateKey;
  let reader: StreamReader;
  let dir: string;
  let log: string;
  let registry: Registry;
  let collector: RunningCollector | undefined;

  const start = async () => {
    registry = new Registry();
    collector = await startCollector(
      {
        cluster: 'tail',
        key,
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        auditLogPath: log,
        positionFile: join(dir, 'position.json'),
        pollIntervalMs: 50,
        publishDeadlineMs: 2000,
      },
      { logger: silentLogger(), registry },
    );
  };
  const ids = async () =>
    (await reader.changes()).map((m) => {
      const c = JSON.parse(openNote(m.data, [parseVkey(key.vkey)]).note.text) as {
        auditID: string;
        source: string;
      };
      assert.equal(c.source, 'audit-log');
      return c.auditID;
    });
  const expectIds = async (want: number, what: string) => {
    await waitFor(async () => (await reader.count('INGRESS_CHANGES')) >= want, 15_000, what);
    const got = await ids();
    assert.equal(got.length, want, what);
    assert.equal(new Set(got).size, got.length, 'no change twice');
  };

  before(async () => {
    nats = await startNatsServer();
    key = generateKey('collector/tail');
    dir = mkdtempSync(join(tmpdir(), 'il-tail-'));
    log = join(dir, 'audit.log');
    reader = await StreamReader.connect(nats.url);
  });
  after(async () => {
    await collector?.close();
    await reader?.close();
    await nats?.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes after a restart and a rotation with nothing lost or re-sent', async () => {
    writeFileSync(log, text(lines.slice(0, 10)));
    await start();
    const firstWant = lines.slice(0, 10).filter(isChange).length;
    await expectIds(firstWant, 'the first lines');
    await collector?.close();
    collector = undefined;

    // While the collector is down: more lines, then a rename-and-create rotation, then more lines.
    appendFileSync(log, text(lines.slice(10, 16)));
    renameSync(log, join(dir, 'audit-2025-03-14T09-30-00.000.log'));
    writeFileSync(log, text(lines.slice(16)));
    await start();
    await expectIds(lines.filter(isChange).length, 'every fixture change');
    assert.equal(
      await metricValue(registry, 'ingress_ledger_collector_changes_duplicate_total'),
      0,
      'nothing re-sent',
    );
  });

  it('follows rotation and truncation while running, and waits out a NATS outage', async () => {
    const round2 = renamed('r2');
    const round3 = renamed('r3');
    const base = (await ids()).length;
    const per = lines.filter(isChange).length;
    appendFileSync(log, text(round2.slice(0, 8)));
    renameSync(log, join(dir, 'audit-2025-03-14T10-00-00.000.log'));
    writeFileSync(log, text(round2.slice(8)));
    await expectIds(base + per, 'rotated lines');

    truncateSync(log, 0);
    await new Promise((r) => setTimeout(r, 200));
    await reader.close();
    await nats.stop();
    writeFileSync(log, text(round3));
    await new Promise((r) => setTimeout(r, 500));
    await nats.restart();
    reader = await StreamReader.connect(nats.url);
    await expectIds(base + 2 * per, 'lines written after truncation during the outage');
  });

  it('reads every shared sample without stopping, skipping what is not an Ingress change', {
    skip: sharedTestdata('k8s-audit') === undefined ? SHARED_MISSING : false,
  }, async () => {
    const root = sharedTestdata('k8s-audit') ?? '';
    const before = (await ids()).length;
    const rejectedBefore = await reader.count('INGRESS_REJECTED');
    const falcoDir = join(root, 'falco-trace-files');
    const falco = readdirSync(falcoDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => readFileSync(join(falcoDir, f), 'utf8').trim());
    // Panther's synthetic events (EKS Event, AKS wrapper, GKE LogEntry) have no auditID: rejected.
    const panther = (
      parseYaml(readFileSync(join(root, 'panther', 'k8s_ingress_without_tls.yml'), 'utf8')) as {
        Tests: { Log: unknown }[];
      }
    ).Tests.map((t) => JSON.stringify(t.Log));
    const compact = (f: string) =>
      JSON.stringify(JSON.parse(readFileSync(join(root, f), 'utf8').replace(/^\uFEFF/, '')));
    const sample = [
      ...falco,
      ...panther,
      readFileSync(join(root, 'audit2rbac', 'demo.log'), 'utf8').trim(),
      readFileSync(join(root, 'kube-audit-rest', 'kube-audit-rest.log'), 'utf8').trim(),
      readFileSync(join(root, 'sysdig-aks-audit-log', 'event.json'), 'utf8').trim(),
      compact('sysdig-aks-audit-log/sample_EventHubs_event.json'),
      compact('sysdig-aks-audit-log/sample_KubeAuditLog_event.json'),
    ];
    appendFileSync(log, text(sample));
    // A marker change after the samples shows the tail got past all of them.
    appendFileSync(log, text(renamed('marker').filter(isChange).slice(0, 1)));
    await expectIds(before + 1, 'the marker after the samples');
    // Only fal_01_003.json ({"kind": 0}) and Panther's events (no auditID) are malformed.
    assert.equal(await reader.count('INGRESS_REJECTED'), rejectedBefore + 1 + panther.length);
  });
});

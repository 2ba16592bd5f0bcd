// `ingress-ledger report` against a real gRPC server serving a signed, cosigned log of a corpus
// we hold: the changes of each tool (test/why-fixtures.ts, built from the shared manifests)
// repeated over two clusters, four days and several actors, with reasons, deletes and denials.
// The report must hold exactly the brute-force selection of the corpus, verified; a tampered
// leaf fails it.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  auditEventToChange,
  type Change,
  ResourceFilter,
  statedReason,
} from '../../../packages/change/index.js';
import { generateKey } from '../../../packages/tlog/index.js';
import { whyFixtures } from '../../../test/why-fixtures.js';
import type { PeriodReport } from '../report/period-report.js';
import { type MemoryLedger, startMemoryLedger } from '../testing/memory-ledger.js';
import { MemoryLog, signLeaf } from '../testing/memory-log.js';
import { cli } from '../testing/run-cli.js';

const CLUSTERS = ['prod', 'stage'];
const DAY0 = Date.UTC(2026, 11, 1, 0, 0, 0);

/** The corpus: every fixture change, again and again, moved in time, cluster and actor. */
function corpus(): Change[] {
  const out: Change[] = [];
  const fixtures = whyFixtures();
  for (let i = 0; i < 96; i++) {
    const f = fixtures[i % fixtures.length];
    assert.ok(f);
    const cluster = CLUSTERS[i % 2] as string;
    const out1 = auditEventToChange(f.event, {
      cluster,
      source: 'audit-webhook',
      observedAt: '2026-12-05T00:00:00Z',
      resources: new ResourceFilter(),
    });
    assert.ok('change' in out1);
    const c = out1.change;
    const t = new Date(DAY0 + i * 3_600_000 + 123).toISOString().replace('Z', '456Z');
    c.auditID = `report-${i}`;
    c.stageTimestamp = t;
    c.requestReceivedTimestamp = t;
    if (f.human && i % 5 === 0) c.user = { username: 'carol@example.com', groups: ['platform'] };
    if (i % 11 === 0) c.responseCode = 403;
    if (i % 13 === 0) {
      // A delete of an object that was annotated first.
      c.verb = 'delete';
      c.action = 'delete';
      c.request = { kind: 'DeleteOptions' };
      c.reason = null;
    }
    if (i === 30) c.reason = '<script>alert("x")</script> & <b>bold</b>';
    // Annotate, then delete: the delete's answer is a Status, its why is on the annotated object.
    if (i === 34) {
      c.reason = 'CHG-9: retire the cookie ingress';
      const meta = (c.response as { metadata: { annotations?: Record<string, string> } }).metadata;
      meta.annotations = { ...(meta.annotations ?? {}), 'ingress-ledger.dev/reason': c.reason };
    }
    if (i === 48) {
      c.verb = 'delete';
      c.action = 'delete';
      c.request = { kind: 'DeleteOptions' };
      c.response = { kind: 'Status', apiVersion: 'v1', status: 'Success' };
      c.reason = null;
    }
    out.push(c);
  }
  return out;
}

describe('ingress-ledger report', () => {
  let ledger: MemoryLedger;
  let dir: string;
  let policy: string;
  let changes: Change[];
  const collectors = CLUSTERS.map((c) => generateKey(`collector/${c}`));
  const keyArgs = collectors.flatMap((k) => ['--collector-vkey', k.vkey]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-report-'));
    const logKey = generateKey('ingress-ledger.test/report');
    const witnesses = [{ name: 'witness-1', key: generateKey('witness-1.test') }];
    const log = new MemoryLog({ origin: 'ingress-ledger.test/report', logKey, witnesses });
    changes = corpus();
    for (const c of changes)
      log.append(signLeaf(c, collectors[CLUSTERS.indexOf(c.cluster)] as (typeof collectors)[number]));
    policy = join(dir, 'policy');
    writeFileSync(policy, log.policy());
    ledger = await startMemoryLedger(log);
  });
  after(async () => ledger?.close());

  const run = (out: string, extra: string[]) =>
    cli(['report', '--grpc', ledger.address, '--policy', policy, ...keyArgs, '--out', out, ...extra]);

  /** The why of change i, brute force: a delete's is on the last version of its object before it. */
  const whyOf = (i: number): string | null => {
    const c = changes[i] as Change;
    let deleted: unknown = c.response;
    if (c.action === 'delete' && statedReason(c, c.response) === null) {
      for (let j = i - 1; j >= 0; j--) {
        const p = changes[j] as Change;
        if (
          p.cluster !== c.cluster ||
          p.object.namespace !== c.object.namespace ||
          p.object.name !== c.object.name
        )
          continue;
        if (p.responseCode < 200 || p.responseCode > 299) continue;
        deleted = p.action === 'delete' ? null : p.response;
        break;
      }
    }
    return statedReason(c, deleted);
  };

  /** The brute-force selection: indexes whose change is in the period (and cluster). */
  const brute = (since: number, until: number, cluster?: string) =>
    changes
      .map((c, i) => [c, i] as const)
      .filter(([c]) => {
        const t = Date.parse(c.stageTimestamp);
        return t >= since && t <= until && (cluster === undefined || c.cluster === cluster);
      })
      .map(([, i]) => String(i));

  for (const [name, since, until, cluster] of [
    ['one day, all clusters', DAY0 + 86_400_000, DAY0 + 2 * 86_400_000 - 1, undefined],
    ['two days of stage', DAY0 + 12 * 3_600_000, DAY0 + 60 * 3_600_000, 'stage'],
    ['everything', DAY0 - 1, DAY0 + 10 * 86_400_000, undefined],
    ['an empty period', DAY0 - 86_400_000, DAY0 - 1, undefined],
  ] as const) {
    it(`holds exactly the brute-force selection: ${name}`, async () => {
      const out = join(dir, name.replaceAll(/[^a-z]/g, '-'));
      const r = await run(out, [
        '--since',
        new Date(since).toISOString(),
        '--until',
        new Date(until).toISOString(),
        ...(cluster ? ['--cluster', cluster] : []),
      ]);
      assert.equal(r.status, 0, r.stderr);
      const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as PeriodReport;
      const want = brute(since, until, cluster);
      assert.deepEqual(
        rep.entries.map((e) => e.index),
        want,
      );
      assert.equal(rep.counts.changes, want.length);
      assert.equal(rep.checkpoint.size, String(changes.length));
      assert.deepEqual(rep.checkpoint.cosigners, ['witness-1']);
      // Counts per actor, brute force.
      for (const a of rep.byActor) {
        const mine = want.filter((i) => (changes[Number(i)] as Change).user.username === a.actor);
        assert.equal(a.changes, mine.length, a.actor);
        const reported = new Map(rep.entries.map((e) => [e.index, e.reason]));
        const differ = mine.filter((i) => (reported.get(i) ?? null) !== whyOf(Number(i)));
        assert.deepEqual(differ, [], a.actor);
        assert.equal(a.withoutReason, mine.filter((i) => whyOf(Number(i)) === null).length, a.actor);
      }
      assert.equal(
        rep.byObject.reduce((n, o) => n + o.changes, 0),
        want.length,
      );
      // The evidence folder holds every entry, checkable offline.
      const files = readdirSync(join(out, 'evidence'));
      assert.equal(files.filter((f) => f.endsWith('.leaf')).length, want.length);
      assert.ok(files.includes('policy') && files.includes('collector.vkeys'));
    });
  }

  it('counts people without a reason and changes without a why, per actor', async () => {
    const out = join(dir, 'why');
    const r = await run(out, [
      '--since',
      new Date(DAY0 - 1).toISOString(),
      '--until',
      '2027-01-01T00:00:00Z',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as PeriodReport;
    const bob = rep.byActor.find((a) => a.actor === 'bob@example.com');
    assert.ok(bob && bob.personWithoutReason > 0);
    const argo = rep.byActor.find((a) => a.actor.includes('argocd'));
    assert.ok(argo);
    assert.equal(argo.personWithoutReason, 0);
    assert.equal(argo.withoutWhy, 0);
    const deleted = rep.entries.find((x) => x.index === '48');
    assert.equal(deleted?.action, 'delete');
    assert.equal(deleted?.reason, 'CHG-9: retire the cookie ingress');
    const e = rep.entries.find((x) => x.attribution?.tool === 'argocd');
    assert.deepEqual(e?.attribution, {
      tool: 'argocd',
      name: 'shop',
      revision: '3f2c1e9a7b5d4c3e2f1a0b9c8d7e6f5a4b3c2d1e',
    });
  });

  it('leaves evidence that the offline verify command accepts', async () => {
    const out = join(dir, 'offline');
    const r = await run(out, [
      '--since',
      new Date(DAY0).toISOString(),
      '--until',
      new Date(DAY0 + 5 * 3_600_000).toISOString(),
    ]);
    assert.equal(r.status, 0, r.stderr);
    const ev = join(out, 'evidence');
    const leaves = readdirSync(ev).filter((f) => f.endsWith('.leaf'));
    assert.ok(leaves.length >= 5);
    for (const leaf of leaves.slice(0, 3)) {
      const v = await cli([
        'verify',
        '--policy',
        join(ev, 'policy'),
        '--collector-vkeys',
        join(ev, 'collector.vkeys'),
        '--proof',
        join(ev, leaf.replace(/\.leaf$/, '.tlog-proof')),
        '--leaf',
        join(ev, leaf),
      ]);
      assert.equal(v.status, 0, v.stderr);
    }
  });

  it('writes one self-contained HTML file that escapes what the log says', async () => {
    const out = join(dir, 'html');
    const r = await run(out, ['--since', new Date(DAY0).toISOString(), '--until', '2027-01-01T00:00:00Z']);
    assert.equal(r.status, 0, r.stderr);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /<script|<link|\bsrc=|@import|url\(/i);
    assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &lt;b&gt;bold&lt;\/b&gt;/);
    assert.match(html, /@media print/);
    assert.match(html, /ingress-ledger verify --policy policy/);
  });

  it('fails with exit 1 when a leaf in the period was altered', async () => {
    const fake = { ...(changes[40] as Change), reason: 'rewritten' };
    ledger.lies.leaves = new Map([[40n, signLeaf(fake, generateKey('collector/prod'))]]);
    try {
      const r = await run(join(dir, 'tampered'), [
        '--since',
        new Date(DAY0).toISOString(),
        '--until',
        '2027-01-01T00:00:00Z',
      ]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, /40/);
    } finally {
      delete ledger.lies.leaves;
    }
  });

  for (const [name, args] of [
    ['since after until', ['--since', '2026-12-03T00:00:00Z', '--until', '2026-12-02T00:00:00Z']],
    ['a malformed time', ['--since', 'yesterday', '--until', '2026-12-02T00:00:00Z']],
    ['no --until', ['--since', '2026-12-03T00:00:00Z']],
  ] as const) {
    it(`exits 2 on ${name}`, async () => {
      const r = await run(join(dir, 'usage'), [...args]);
      assert.equal(r.status, 2, r.stderr);
    });
  }

  it('exits 2 without a policy', async () => {
    const r = await cli([
      'report',
      '--grpc',
      ledger.address,
      ...keyArgs,
      '--out',
      join(dir, 'nopolicy'),
      '--since',
      '2026-12-01T00:00:00Z',
      '--until',
      '2026-12-02T00:00:00Z',
    ]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--policy/);
  });

  it('exits 2 without collector keys', async () => {
    const r = await cli([
      'report',
      '--grpc',
      ledger.address,
      '--policy',
      policy,
      '--out',
      join(dir, 'nokeys'),
      '--since',
      '2026-12-01T00:00:00Z',
      '--until',
      '2026-12-02T00:00:00Z',
    ]);
    assert.equal(r.status, 2, r.stderr);
  });
});

// The changes feed's pieces without a ledger: the document made from a log entry (hostile leaves
// give undefined, never a throw), each protocol's batch body, and the saved position (torn,
// oversized or hostile files are refused by name, never read as 0).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canonicalJson } from '../../../packages/change/index.js';
import type { Entry } from '../../../packages/proto/index.js';
import { generateKey, signNote } from '../../../packages/tlog/index.js';
import { type ChangeDoc, changeDoc } from './change-doc.js';
import { bulkChanges, lokiChanges, splunkChanges } from './change-senders.js';
import { PositionError, PositionFile } from './position.js';

const key = generateKey('collector/c1');
const utf8 = new TextEncoder();

const change = {
  schema: 'ingress-ledger.change/v1',
  cluster: 'c1',
  auditID: 'a-1',
  verb: 'patch',
  action: 'update',
  object: {
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'ingresses',
    namespace: 'ns',
    name: 'web',
    uid: 'u',
    resourceVersion: '7',
  },
  user: { username: 'bob', groups: ['devs'] },
  impersonatedUser: { username: 'system:serviceaccount:ci:deployer' },
  sourceIPs: ['10.0.0.1'],
  userAgent: 'kubectl',
  requestReceivedTimestamp: '2026-12-01T10:00:00.000000Z',
  stageTimestamp: '2026-12-01T10:00:00.123456Z',
  responseCode: 200,
  reason: 'CHG-1',
  request: { secret: 'not in the feed' },
  response: null,
  source: 'audit-webhook',
  attribution: { tool: 'helm', name: 'web', revision: 'web-1.2.3' },
  observedAt: '2026-12-01T10:00:01.000000Z',
};

const entry = (leaf: Uint8Array | string, index = 4n) =>
  ({ index, leaf: typeof leaf === 'string' ? utf8.encode(leaf) : leaf }) as Entry;
const signed = (c: unknown) => signNote(`${canonicalJson(c)}\n`, key);

describe('changes feed documents', () => {
  it('carry the change fields, the index, the covering checkpoint size and the dedup id', () => {
    const d = changeDoc(entry(signed(change)), 9n);
    assert.deepEqual(d, {
      id: 'c1/a-1',
      index: '4',
      checkpointSize: '9',
      cluster: 'c1',
      object: change.object,
      verb: 'patch',
      action: 'update',
      user: 'bob',
      impersonatedUser: 'system:serviceaccount:ci:deployer',
      reason: 'CHG-1',
      attribution: change.attribution,
      stageTimestamp: change.stageTimestamp,
      auditID: 'a-1',
      sourceIPs: ['10.0.0.1'],
      responseCode: 200,
      source: 'audit-webhook',
    });
  });

  it('leave out attribution when the change has none', () => {
    const { attribution: _, ...older } = change;
    assert.equal('attribution' in changeDoc(entry(signed(older)), 9n)!, false);
  });

  const hostile: [string, Uint8Array | string][] = [
    ['an empty leaf', ''],
    ['bytes that are not a note', new Uint8Array([0xff, 0xfe, 0, 1, 2])],
    ['a note of text that is not JSON', signNote('hello\n', key)],
    ['a truncated note', signed(change).slice(0, 40)],
    ['a note of a JSON array', signNote('[1,2]\n', key)],
    ['a change without a cluster', signed({ ...change, cluster: 7 })],
    ['a change whose object is a string', signed({ ...change, object: 'x' })],
    ['a note of deeply nested JSON', signNote(`${'['.repeat(5000)}${']'.repeat(5000)}\n`, key)],
  ];
  for (const [what, leaf] of hostile)
    it(`are not made from ${what}`, () => assert.equal(changeDoc(entry(leaf), 9n), undefined));
});

describe('changes feed bodies', () => {
  const d = changeDoc(entry(signed(change)), 9n) as ChangeDoc;
  const d2 = { ...d, id: 'c2/b', cluster: 'c2', auditID: 'b', index: '5' };

  it('are _bulk create actions with _id = <cluster>/<auditID> and an @timestamp', () => {
    const lines = bulkChanges([d, d2], 'audit').split('\n');
    assert.equal(lines.length, 5);
    assert.equal(lines[4], '');
    assert.deepEqual(JSON.parse(lines[0]!), { create: { _index: 'audit', _id: 'c1/a-1' } });
    assert.deepEqual(JSON.parse(lines[1]!), { '@timestamp': change.stageTimestamp, ...d });
    assert.deepEqual(JSON.parse(lines[2]!), { create: { _index: 'audit', _id: 'c2/b' } });
  });

  it('are Loki streams per cluster stamped with the stageTimestamp in nanoseconds', () => {
    const body = JSON.parse(lokiChanges([d, d2])) as { streams: { stream: unknown; values: string[][] }[] };
    assert.deepEqual(body.streams[0]!.stream, { job: 'ingress-ledger', kind: 'change', cluster: 'c1' });
    assert.deepEqual(body.streams[0]!.values, [['1796119200123456000', JSON.stringify(d)]]);
    assert.equal(body.streams.length, 2);
  });

  it('are HEC events, one per change, with the change as the event', () => {
    const lines = splunkChanges([d, d2], 'host-1', 'main').split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[0]!), {
      time: 1796119200.123,
      host: 'host-1',
      source: 'ingress-ledger',
      sourcetype: 'ingress-ledger:change',
      index: 'main',
      event: d,
    });
  });
});

describe('changes feed positions', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'feed-position-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('start at 0, and read back what was saved', () => {
    const p = new PositionFile(join(dir, 'new'), 'loki');
    assert.equal(p.read(), 0n);
    p.save(12_345_678_901n);
    assert.equal(readFileSync(p.path, 'utf8'), '12345678901\n');
    assert.equal(new PositionFile(join(dir, 'new'), 'loki').read(), 12_345_678_901n);
  });

  const bad: [string, string][] = [
    ['an empty file', ''],
    ['text', 'garbage'],
    ['a negative number', '-1'],
    ['a torn number', '12 3'],
    ['a leading zero', '007'],
    ['an oversized file', '1'.repeat(100_000)],
    ['a number of 25 digits', '1'.repeat(25)],
  ];
  for (const [what, text] of bad)
    it(`refuse ${what}, naming the file`, () => {
      const p = new PositionFile(join(dir, 'bad'), 'splunk');
      writeFileSync(p.path, text);
      assert.throws(
        () => p.read(),
        (e: unknown) => e instanceof PositionError && e.message.includes('feed-splunk.position'),
      );
    });
});

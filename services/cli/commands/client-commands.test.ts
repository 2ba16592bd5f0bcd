// checkpoint, entries, prove, search and history against a real gRPC server (packages/rpc) that
// serves a real signed, cosigned log from memory.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FixtureLog, fixtureLog } from '../testing/fixtures.js';
import { type MemoryLedger, startMemoryLedger } from '../testing/memory-ledger.js';
import { sampleChange } from '../testing/memory-log.js';
import { cli, jsonLines, runCli } from '../testing/run-cli.js';

describe('the client commands', { concurrency: 4 }, () => {
  let f: FixtureLog;
  let ledger: MemoryLedger;
  before(async () => {
    f = fixtureLog(23);
    ledger = await startMemoryLedger(f.log);
  });
  after(async () => {
    await ledger.close();
  });

  it('checkpoint verifies the served checkpoint with --policy', async () => {
    const r = await cli(['checkpoint', '--grpc', ledger.address, '--policy', f.policyFile, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = jsonLines(r.stdout)[0] as Record<string, unknown>;
    assert.equal(out.size, 23);
    assert.equal(out.verified, true);
    assert.deepEqual(out.cosigners, ['witness-1', 'witness-2']);
  });

  it('checkpoint --note prints the note exactly as served', async () => {
    const r = await cli(['checkpoint', '--grpc', ledger.address, '--note']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ingress-ledger\.test\/fixture\n23\n/);
  });

  it('entries lists a range as JSON lines', async () => {
    const r = await cli(['entries', '--grpc', ledger.address, '--start', '3', '--end', '8', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.deepEqual(
      lines.map((l) => l.index),
      [3, 4, 5, 6, 7],
    );
    assert.equal((lines[0]?.change as { auditID?: string } | undefined)?.auditID, sampleChange(3).auditID);
    assert.ok(lines.every((l) => l.leafHashMatches === true));
  });

  it('entries shows the newest entries as a table by default', async () => {
    const r = await cli(['entries', '--grpc', ledger.address, '--limit', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /INDEX/);
    assert.match(r.stdout, /\n21 /);
    assert.match(r.stdout, /\n22 /);
  });

  it('prove writes FILE.leaf and FILE.tlog-proof that verify offline', async () => {
    const out = join(f.dir, 'proved-7');
    const r = await runCli([
      'prove',
      '--grpc',
      ledger.address,
      '--index',
      '7',
      '--out',
      out,
      '--policy',
      f.policyFile,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const v = await cli([
      'verify',
      '--policy',
      f.policyFile,
      '--proof',
      `${out}.tlog-proof`,
      '--leaf',
      `${out}.leaf`,
      '--collector-vkey',
      f.collectorVkey,
    ]);
    assert.equal(v.status, 0, v.stderr);
  });

  it('prove --bundle writes an evidence folder for a search, with policy and README', async () => {
    const dir = join(f.dir, 'bundle');
    const r = await cli([
      'prove',
      '--grpc',
      ledger.address,
      '--bundle',
      dir,
      '--policy',
      f.policyFile,
      '--user',
      'alice@example.com',
      '--collector-vkey',
      f.collectorVkey,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const alice = [0, 5, 10, 15, 20];
    assert.deepEqual(jsonLines(r.stdout)[0]?.entries, alice);
    for (const i of alice) {
      assert.ok(existsSync(join(dir, `entry-${i}.leaf`)));
      assert.ok(existsSync(join(dir, `entry-${i}.tlog-proof`)));
    }
    assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /c2sp\.org\/tlog-proof/);
    assert.equal(readFileSync(join(dir, 'policy'), 'utf8'), f.log.policy());
    const v = await cli([
      'verify',
      '--policy',
      join(dir, 'policy'),
      '--proof',
      join(dir, 'entry-15.tlog-proof'),
      '--leaf',
      join(dir, 'entry-15.leaf'),
      '--collector-vkeys',
      join(dir, 'collector.vkeys'),
    ]);
    assert.equal(v.status, 0, v.stderr);
  });

  it('prove refuses to write evidence whose checkpoint fails the policy', async () => {
    const other = fixtureLog(1);
    const r = await cli([
      'prove',
      '--grpc',
      ledger.address,
      '--index',
      '1',
      '--out',
      join(f.dir, 'x'),
      '--policy',
      other.policyFile,
    ]);
    assert.equal(r.status, 1);
    assert.ok(!existsSync(join(f.dir, 'x.leaf')));
  });

  it('prove of an index beyond the tree is exit 2 (bad usage)', async () => {
    const r = await cli(['prove', '--grpc', ledger.address, '--index', '23', '--out', join(f.dir, 'y')]);
    assert.equal(r.status, 2, r.stderr);
  });

  it('search prints {index, change, findings} lines, newest first', async () => {
    const r = await cli([
      'search',
      '--grpc',
      ledger.address,
      '--user',
      'alice@example.com',
      '--limit',
      '3',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.deepEqual(
      lines.map((l) => l.index),
      [20, 15, 10],
    );
    assert.deepEqual(lines[0]?.findings, [
      { rule: 'host-exposed', severity: 'medium', message: 'serves a new host', path: '/spec/rules/0/host' },
    ]);
  });

  it('search pages through results beyond one page', async () => {
    const r = await cli(['search', '--grpc', ledger.address, '--limit', '1000', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(jsonLines(r.stdout).length, 23);
  });

  it('history prints {index, change, findings, diff} per version', async () => {
    const r = await cli(['history', '--grpc', ledger.address, 'shop/web-2', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout);
    assert.deepEqual(
      lines.map((l) => l.index),
      [2, 9, 16],
    );
    assert.deepEqual(lines[0]?.diff, [
      { op: 'replace', path: '/metadata/resourceVersion', from: '1', to: '2' },
    ]);
  });

  const usage: [string, string[]][] = [
    ['a --grpc without a port', ['checkpoint', '--grpc', 'localhost']],
    ['a --grpc with a bad port', ['checkpoint', '--grpc', 'localhost:99999']],
    ['a negative index', ['entries', '--grpc', '127.0.0.1:1', '--start', '-1']],
    ['an index with a leading zero', ['entries', '--grpc', '127.0.0.1:1', '--start', '01']],
    ['an absurd index', ['entries', '--grpc', '127.0.0.1:1', '--start', '99999999999999999999999']],
    ['a bad --since', ['search', '--grpc', '127.0.0.1:1', '--since', 'yesterday']],
    ['a bad --response-code', ['search', '--grpc', '127.0.0.1:1', '--response-code', '9999']],
    ['a history object with three parts', ['history', '--grpc', '127.0.0.1:1', 'a/b/c']],
    ['prove without --out or --bundle', ['prove', '--grpc', '127.0.0.1:1', '--index', '1']],
    ['an unknown flag', ['search', '--grpc', '127.0.0.1:1', '--colour']],
    ['a missing TLS file', ['checkpoint', '--grpc', '127.0.0.1:1', '--tls-ca', '/nonexistent/ca.pem']],
  ];
  for (const [name, args] of usage) {
    it(`exits 2 for ${name}`, async () => {
      const r = await cli(args);
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it('exits 2 with one line when the ledger cannot be reached', async () => {
    const r = await runCli(['checkpoint', '--grpc', '127.0.0.1:1', '--timeout', '3s']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});

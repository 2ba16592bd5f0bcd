// `ingress-ledger audit` against a real gRPC server serving a real log, honest and then lying the
// ways a compromised ledger would. Each failure must be exit 1 naming the right index or size.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateKey, signNote } from '../../../packages/tlog/index.js';
import { type FixtureLog, fixtureLog } from '../testing/fixtures.js';
import { type MemoryLedger, startMemoryLedger } from '../testing/memory-ledger.js';
import { MemoryLog, sampleChange, signLeaf } from '../testing/memory-log.js';
import { cli, jsonLines, runCli, spawnCli } from '../testing/run-cli.js';

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Failure {
  code: string;
  index?: number;
  size?: number;
}

async function withLedger<T>(n: number, fn: (f: FixtureLog, l: MemoryLedger) => Promise<T>): Promise<T> {
  const f = fixtureLog(n);
  const l = await startMemoryLedger(f.log);
  try {
    return await fn(f, l);
  } finally {
    await l.close();
  }
}

const auditArgs = (f: FixtureLog, l: MemoryLedger, extra: string[] = []) => [
  'audit',
  '--grpc',
  l.address,
  '--policy',
  f.policyFile,
  '--collector-vkey',
  f.collectorVkey,
  '--workers',
  '2',
  '--batch-size',
  '16',
  '--json',
  ...extra,
];

async function audit(f: FixtureLog, l: MemoryLedger, extra: string[] = [], child = false) {
  const r = await (child ? runCli : cli)(auditArgs(f, l, extra));
  const out = jsonLines(r.stdout).at(-1) ?? {};
  return { ...r, out, failures: (out.failures ?? []) as Failure[] };
}

describe('ingress-ledger audit', { concurrency: 3 }, () => {
  it('audits an honest log clean and remembers it in --state', () =>
    withLedger(41, async (f, l) => {
      const state = join(f.dir, 'state.json');
      const first = await audit(f, l, ['--state', state]);
      assert.equal(first.status, 0, first.stderr);
      assert.equal(first.out.size, 41);
      assert.equal(first.out.checked, 41);
      assert.equal(first.out.collectorSignatures, 'verified');
      for (let i = 41; i < 60; i++) f.log.append(signLeaf(sampleChange(i), f.collector));
      l.publish();
      const second = await audit(f, l, ['--state', state]);
      assert.equal(second.status, 0, second.stderr);
      assert.equal(second.out.trustedSize, 41);
      assert.equal(second.out.checked, 60);
      f.log.append(signLeaf(sampleChange(60), f.collector));
      l.publish();
      const resumed = await audit(f, l, ['--state', state, '--resume']);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.equal(resumed.out.from, 60);
      assert.equal(resumed.out.checked, 1);
    }));

  it('follows short GetEntries answers', () =>
    withLedger(30, async (f, l) => {
      l.lies.maxEntries = 7;
      const r = await audit(f, l);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.out.checked, 30);
    }));

  it('fails clearly, without a stack trace, when the server returns no entries for a prefetched range', () =>
    withLedger(60, async (f, l) => {
      l.lies.noEntriesFrom = 40n;
      const r = await runCli(auditArgs(f, l).filter((a) => a !== '--json'));
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /returned no entries at index 40/);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    }));

  it('with --follow, reports entries the server does not serve and carries on once it does', () =>
    withLedger(60, async (f, l) => {
      l.lies.noEntriesFrom = 40n;
      const args = auditArgs(f, l).filter((a) => a !== '--json');
      const child = spawnCli([...args, '--follow', '--interval', '1s']);
      let stderr = '';
      let stdout = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        await until(() => /will try again/.test(stderr), 'the first failure');
        assert.match(stderr, /UNSERVED: the server returned no entries at index 40/);
        assert.equal(child.exitCode, null, 'still running');
        delete l.lies.noEntriesFrom;
        await until(() => /60/.test(stdout) && /✓|ok/i.test(stdout), 'a clean audit');
      } finally {
        child.kill('SIGTERM');
      }
      assert.equal(await exited, 0, stderr);
      assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
    }));

  it('names the index of a leaf whose bytes were changed', () =>
    withLedger(37, async (f, l) => {
      const leaf = new Uint8Array(f.log.leaves[13] as Uint8Array);
      leaf[30] = (leaf[30] ?? 0) ^ 0x02;
      l.lies.leaves = new Map([[13n, leaf]]);
      const r = await audit(f, l);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(
        r.failures.some((x) => x.code === 'TREE' && x.index === 13 && x.size === 37),
        JSON.stringify(r.failures),
      );
      assert.ok(r.failures.some((x) => x.code === 'COLLECTOR_SIGNATURE' && x.index === 13));
    }));

  it('names the first of two swapped entries', () =>
    withLedger(25, async (f, l) => {
      l.lies.leaves = new Map([
        [6n, f.log.leaves[19] as Uint8Array],
        [19n, f.log.leaves[6] as Uint8Array],
      ]);
      const r = await audit(f, l);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(
        r.failures.some((x) => x.code === 'TREE' && x.index === 6),
        JSON.stringify(r.failures),
      );
    }));

  it('names a logged leaf forged without the collector key', () =>
    withLedger(9, async (f, l) => {
      f.log.append(signLeaf(sampleChange(9), generateKey('collector/prod')));
      f.log.append(signLeaf(sampleChange(10), f.collector));
      l.publish();
      const r = await audit(f, l);
      assert.equal(r.status, 1, r.stderr);
      assert.deepEqual(
        r.failures.map((x) => [x.code, x.index]),
        [['COLLECTOR_SIGNATURE', 9]],
      );
    }));

  it('rejects a checkpoint signed by another key', () =>
    withLedger(5, async (f, l) => {
      l.lies.checkpoint = signNote(f.log.checkpointText(), generateKey(f.log.origin));
      const r = await audit(f, l, [], true);
      assert.equal(r.status, 1);
      assert.equal(r.failures[0]?.code, 'LOG_SIGNATURE');
    }));

  it('rejects a checkpoint missing one cosignature under a 2-of-2 policy', () =>
    withLedger(5, async (f, l) => {
      l.lies.checkpoint = f.log.checkpoint(f.log.size, f.witnesses.slice(1));
      const r = await audit(f, l);
      assert.equal(r.status, 1);
      assert.equal(r.failures[0]?.code, 'QUORUM');
    }));

  it('reports a log that shrank below the trusted size', () =>
    withLedger(20, async (f, l) => {
      const state = join(f.dir, 'state.json');
      assert.equal((await audit(f, l, ['--state', state])).status, 0);
      l.publish(15n);
      const r = await audit(f, l, ['--state', state]);
      assert.equal(r.status, 1);
      assert.deepEqual(
        r.failures.map((x) => [x.code, x.size]),
        [['ROLLBACK', 15]],
      );
    }));

  it('reports history rewritten by the operator: last 10 entries replaced and re-signed', async () => {
    const f = fixtureLog(30);
    const state = join(f.dir, 'state.json');
    const honest = await startMemoryLedger(f.log);
    try {
      assert.equal((await audit(f, honest, ['--state', state])).status, 0);
    } finally {
      await honest.close();
    }
    // Same keys, the first 20 entries, then other entries: a fork the log key signed.
    const forked = new MemoryLog(f.log.opts);
    for (let i = 0; i < 20; i++) forked.append(f.log.leaves[i] as Uint8Array);
    for (let i = 0; i < 15; i++) forked.append(signLeaf(sampleChange(100 + i), f.collector));
    const liar = await startMemoryLedger(forked);
    try {
      const r = await audit(f, liar, ['--state', state]);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(
        r.failures.some((x) => x.code === 'CONSISTENCY' && x.size === 30),
        JSON.stringify(r.failures),
      );
      assert.ok(
        r.failures.some((x) => x.code === 'ROLLBACK' && x.size === 30),
        JSON.stringify(r.failures),
      );
    } finally {
      await liar.close();
    }
  });

  it('exits 2 for a state file that is not one', () =>
    withLedger(3, async (f, l) => {
      const state = join(f.dir, 'bad-state.json');
      writeFileSync(state, '{"version":1,"size":"01"}');
      const r = await audit(f, l, ['--state', state]);
      assert.equal(r.status, 2);
    }));

  it('exits 2 for an unreachable ledger and for bad flags', async () => {
    const f = fixtureLog(1);
    const unreachable = await cli([
      'audit',
      '--grpc',
      '127.0.0.1:1',
      '--policy',
      f.policyFile,
      '--timeout',
      '2s',
    ]);
    assert.equal(unreachable.status, 2);
    const badWorkers = await cli([
      'audit',
      '--grpc',
      '127.0.0.1:1',
      '--policy',
      f.policyFile,
      '--workers',
      '0',
    ]);
    assert.equal(badWorkers.status, 2);
  });
});

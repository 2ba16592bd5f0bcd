// The read path (issue 14): search, history and entries verify every entry they show when a
// policy is known, take the ledger and the keys from an endpoints file or the environment, print
// YAML, and stay quiet when their reader goes away. Against a real gRPC server on a real log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { cosignatureVkey, generateKey } from '../../../packages/tlog/index.js';
import { type FixtureLog, fixtureLog } from '../testing/fixtures.js';
import { type MemoryLedger, startMemoryLedger } from '../testing/memory-ledger.js';
import { sampleChange, signLeaf } from '../testing/memory-log.js';
import { CLI_BIN, type CliResult, cli, jsonLines, runCli as runCliOnce } from '../testing/run-cli.js';

// Child processes start slowly on a loaded machine: generous limits, never a flaky verdict.
const runCli = (
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> => runCliOnce(args, { timeoutMs: 180_000, ...opts });

interface Line {
  index: number;
  verification?: { status: string; reason?: string };
}

const statuses = (stdout: string) =>
  new Map(
    jsonLines(stdout).map((l) => [(l as unknown as Line).index, (l as unknown as Line).verification?.status]),
  );

function endpointsOf(f: FixtureLog, address: string): Record<string, unknown> {
  return {
    grpc: address,
    webhook: 'http://127.0.0.1:1/',
    origin: f.log.origin,
    logVkey: f.logKey.vkey,
    witnessVkeys: f.witnesses.map((w) => cosignatureVkey(w.key)),
    collectorVkeys: [f.collectorVkey],
  };
}

describe('the read path', { concurrency: 4, timeout: 900_000 }, () => {
  let f: FixtureLog;
  let ledger: MemoryLedger;
  let liar: MemoryLedger;
  let endpoints: string;
  let liarEndpoints: string;
  before(async () => {
    f = fixtureLog(40);
    ledger = await startMemoryLedger(f.log);
    liar = await startMemoryLedger(f.log);
    endpoints = join(f.dir, 'endpoints.json');
    writeFileSync(endpoints, JSON.stringify(endpointsOf(f, ledger.address)));
    liarEndpoints = join(f.dir, 'liar-endpoints.json');
    writeFileSync(liarEndpoints, JSON.stringify(endpointsOf(f, liar.address)));
    // Entry 9's bytes edited after it was logged; entry 30 re-signed by a key nobody trusts.
    const leaf9 = Buffer.from(f.log.leaves[9] as Uint8Array).toString('utf8');
    liar.lies.leaves = new Map([
      [9n, new TextEncoder().encode(leaf9.replace('kubectl/v1.31.0', 'kubectl/v1.31.1'))],
      [30n, signLeaf(sampleChange(30), generateKey('collector/prod'))],
    ]);
  });
  after(async () => {
    await ledger.close();
    await liar.close();
  });

  describe('when a policy is known', () => {
    it('search marks every entry verified (--endpoints)', async () => {
      const r = await cli(['search', '--endpoints', endpoints, '--limit', '1000', '--json']);
      assert.equal(r.status, 0, r.stderr);
      const s = statuses(r.stdout);
      assert.equal(s.size, 40);
      assert.ok(
        [...s.values()].every((v) => v === 'verified'),
        r.stdout.slice(0, 500),
      );
    });

    it('search keeps the DESIGN 5.1 line shape and adds only verification', async () => {
      const r = await cli(['search', '--endpoints', endpoints, '--limit', '1', '--json']);
      assert.deepEqual(Object.keys(jsonLines(r.stdout)[0] ?? {}), [
        'index',
        'change',
        'findings',
        'verification',
      ]);
    });

    it('history and entries mark every entry verified', async () => {
      const h = await cli(['history', '--endpoints', endpoints, 'shop/web-2', '--json']);
      assert.equal(h.status, 0, h.stderr);
      assert.deepEqual([...statuses(h.stdout).values()], Array(6).fill('verified'));
      const e = await cli(['entries', '--endpoints', endpoints, '--start', '0', '--end', '40', '--json']);
      assert.equal(e.status, 0, e.stderr);
      assert.equal([...statuses(e.stdout).values()].filter((v) => v === 'verified').length, 40);
    });

    it('verifies with --policy and --collector-vkey as well', async () => {
      const r = await cli([
        'search',
        '--grpc',
        ledger.address,
        '--policy',
        f.policyFile,
        '--collector-vkey',
        f.collectorVkey,
        '--limit',
        '3',
        '--json',
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual([...statuses(r.stdout).values()], ['verified', 'verified', 'verified']);
    });

    it('search shows an edited leaf and a forged one as failed, the others verified, and exits 1', async () => {
      const r = await cli(['search', '--endpoints', liarEndpoints, '--limit', '1000', '--json']);
      assert.equal(r.status, 1, r.stderr);
      const lines = jsonLines(r.stdout).filter((l) => 'index' in l) as unknown as Line[];
      assert.equal(lines.length, 40);
      const failed = lines.filter((l) => l.verification?.status === 'failed');
      assert.deepEqual(
        failed.map((l) => l.index),
        [30, 9],
      );
      assert.match(failed[0]?.verification?.reason ?? '', /COLLECTOR_SIGNATURE/);
      assert.match(failed[1]?.verification?.reason ?? '', /COLLECTOR_SIGNATURE|INCLUSION/);
      assert.equal(lines.filter((l) => l.verification?.status === 'verified').length, 38);
      assert.match(r.stderr, /2 of 40 shown entries failed verification: 30, 9/);
    });

    it('history shows the edited version as failed and exits 1', async () => {
      const r = await cli(['history', '--endpoints', liarEndpoints, 'shop/web-2', '--json']);
      assert.equal(r.status, 1, r.stderr);
      const s = statuses(r.stdout);
      assert.equal(s.get(9), 'failed');
      assert.deepEqual(
        [...s].filter(([, v]) => v === 'verified').map(([i]) => i),
        [2, 16, 23, 30, 37].filter((i) => i !== 30),
      );
    });

    it('marks failures in the table for people', async () => {
      const r = await cli(['search', '--endpoints', liarEndpoints, '--name', 'web-2']);
      assert.equal(r.status, 1);
      assert.match(r.stdout, /VERIFIED/);
      assert.match(r.stdout, /\n9 .*✗ FAILED (COLLECTOR_SIGNATURE|INCLUSION)/);
      assert.match(r.stdout, /\n16 .*✓ verified/);
    });

    it('exits 1 before showing anything when the checkpoint fails the policy', async () => {
      const other = fixtureLog(1);
      const r = await cli([
        'search',
        '--grpc',
        ledger.address,
        '--policy',
        other.policyFile,
        '--collector-vkey',
        f.collectorVkey,
      ]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /LOG_SIGNATURE/);
      assert.equal(r.stdout, '');
    });

    it('wants a collector key, or --no-collector-check', async () => {
      const args = ['search', '--grpc', ledger.address, '--policy', f.policyFile, '--limit', '2', '--json'];
      const r = await cli(args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--collector-vkey/);
      const ok = await cli([...args, '--no-collector-check']);
      assert.equal(ok.status, 0, ok.stderr);
      assert.deepEqual([...statuses(ok.stdout).values()], ['verified', 'verified']);
    });

    it('--no-verify shows what the server says, without a verdict', async () => {
      const r = await cli(['search', '--endpoints', liarEndpoints, '--no-verify', '--limit', '40', '--json']);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(jsonLines(r.stdout).every((l) => !('verification' in l)));
    });
  });

  describe('the client configuration', () => {
    it('takes the endpoints file from INGRESS_LEDGER_ENDPOINTS', async () => {
      const r = await runCli(['search', '--limit', '2', '--json'], {
        env: { INGRESS_LEDGER_ENDPOINTS: endpoints },
      });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual([...statuses(r.stdout).values()], ['verified', 'verified']);
    });

    it('finds ./.ingress-ledger/endpoints.json by default', async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'il-cwd-'));
      mkdirSync(join(cwd, '.ingress-ledger'));
      writeFileSync(join(cwd, '.ingress-ledger', 'endpoints.json'), readFileSync(endpoints));
      const r = await runCli(['checkpoint', '--json'], { cwd });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(jsonLines(r.stdout)[0]?.verified, true);
    });

    it('ignores the default endpoints file when --grpc names a ledger', async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'il-cwd-'));
      mkdirSync(join(cwd, '.ingress-ledger'));
      const local = fixtureLog(1);
      writeFileSync(
        join(cwd, '.ingress-ledger', 'endpoints.json'),
        JSON.stringify(endpointsOf(local, '127.0.0.1:1')),
      );
      const r = await runCli(['search', '--grpc', ledger.address, '--limit', '2', '--json'], { cwd });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(jsonLines(r.stdout).every((l) => !('verification' in l)));
      const local2 = await runCli(['search', '--limit', '2', '--json', '--timeout', '3s'], { cwd });
      assert.equal(local2.status, 2, 'without --grpc the default file is used (and its ledger is down)');
    });

    it('a flag beats the environment, which beats the endpoints file', async () => {
      const bad = join(f.dir, 'bad-grpc.json');
      writeFileSync(bad, JSON.stringify({ ...endpointsOf(f, '127.0.0.1:1') }));
      const envWins = await runCli(
        ['search', '--endpoints', bad, '--limit', '1', '--json', '--timeout', '5s'],
        {
          env: { INGRESS_LEDGER_GRPC: ledger.address },
        },
      );
      assert.equal(envWins.status, 0, envWins.stderr);
      const flagWins = await runCli(
        ['search', '--grpc', ledger.address, '--limit', '1', '--json', '--no-verify'],
        {
          env: { INGRESS_LEDGER_GRPC: '127.0.0.1:1' },
        },
      );
      assert.equal(flagWins.status, 0, flagWins.stderr);
      const policyFlagWins = await runCli(
        ['checkpoint', '--endpoints', endpoints, '--policy', fixtureLog(1).policyFile, '--json'],
        {},
      );
      assert.equal(policyFlagWins.status, 1, 'the --policy given, not the endpoints file, decides');
    });

    it('names --grpc when there is no address at all', async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'il-cwd-'));
      const r = await runCli(['search'], {
        cwd,
        env: { INGRESS_LEDGER_ENDPOINTS: '', INGRESS_LEDGER_GRPC: '' },
      });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--grpc/);
    });

    it('names INGRESS_LEDGER_GRPC when its value is bad', async () => {
      const r = await runCli(['search'], { env: { INGRESS_LEDGER_GRPC: 'no-port' } });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /INGRESS_LEDGER_GRPC/);
    });

    const hostile: [string, () => string | Uint8Array][] = [
      ['not JSON', () => '{"grpc": '],
      ['truncated', () => JSON.stringify(endpointsOf(f, '127.0.0.1:1')).slice(0, 40)],
      ['an array', () => '[1,2]'],
      ['null', () => 'null'],
      ['oversized', () => JSON.stringify({ grpc: '127.0.0.1:1', pad: 'x'.repeat(70_000) })],
      ['not UTF-8', () => new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
      ['grpc a number', () => JSON.stringify({ grpc: 7700 })],
      ['grpc without a port', () => JSON.stringify({ grpc: 'localhost' })],
      [
        'witnessVkeys a string',
        () => JSON.stringify({ ...endpointsOf(f, '127.0.0.1:1'), witnessVkeys: 'x' }),
      ],
      [
        'too many keys',
        () => JSON.stringify({ ...endpointsOf(f, '127.0.0.1:1'), witnessVkeys: Array(100).fill('a') }),
      ],
      ['a garbage logVkey', () => JSON.stringify({ ...endpointsOf(f, '127.0.0.1:1'), logVkey: 'garbage' })],
      [
        'a collector key of another name',
        () => JSON.stringify({ ...endpointsOf(f, '127.0.0.1:1'), collectorVkeys: [f.logKey.vkey] }),
      ],
    ];
    for (const [name, content] of hostile) {
      it(`exits 2 naming --endpoints for a file that is ${name}`, async () => {
        const file = join(f.dir, `hostile-${name.replace(/\W+/g, '-')}.json`);
        writeFileSync(file, content());
        const r = await cli(['search', '--endpoints', file, '--json']);
        assert.equal(r.status, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /--endpoints/);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      });
    }

    it('exits 2 naming --endpoints for a missing file', async () => {
      const r = await cli(['search', '--endpoints', join(f.dir, 'nope.json')]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--endpoints/);
    });
  });

  describe('output', () => {
    it('-o yaml writes one YAML document per entry, with its verdict', async () => {
      const r = await cli(['search', '--endpoints', endpoints, '--limit', '3', '-o', 'yaml']);
      assert.equal(r.status, 0, r.stderr);
      const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Line & { change: { cluster: string } });
      assert.deepEqual(
        docs.map((d) => [d.index, d.change.cluster, d.verification?.status]),
        [
          [39, 'prod', 'verified'],
          [38, 'prod', 'verified'],
          [37, 'prod', 'verified'],
        ],
      );
    });

    it('-o json is --json', async () => {
      const a = await cli(['search', '--endpoints', endpoints, '--limit', '3', '-o', 'json']);
      const b = await cli(['search', '--endpoints', endpoints, '--limit', '3', '--json']);
      assert.equal(a.stdout, b.stdout);
    });

    it('-o wide adds the verb, source, user agent and reason', async () => {
      const r = await cli(['search', '--endpoints', endpoints, '--limit', '3', '-o', 'wide']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /VERB\s+SOURCE\s+USER AGENT\s+REASON/);
      assert.match(r.stdout, /kubectl\/v1\.31\.0/);
    });

    it('entries -o wide and history -o yaml work too', async () => {
      const e = await cli(['entries', '--endpoints', endpoints, '--limit', '2', '-o', 'wide']);
      assert.equal(e.status, 0, e.stderr);
      assert.match(e.stdout, /USER AGENT/);
      const h = await cli(['history', '--endpoints', endpoints, 'shop/web-2', '-o', 'yaml']);
      assert.equal(h.status, 0, h.stderr);
      assert.equal(parseAllDocuments(h.stdout).length, 6);
    });

    it('history shows each version as a YAML diff against the one before', async () => {
      const r = await cli(['history', '--endpoints', endpoints, 'shop/web-2']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /#2 .*✓ verified/);
      assert.match(
        r.stdout,
        /\+\+\+ ingresses\/shop\/web-2 \(#2\)\n@@ -0,0 \+1,\d+ @@\n\+apiVersion: networking\.k8s\.io\/v1/,
      );
      assert.doesNotMatch(r.stdout, /~1|\u001b/);
    });

    it('--risk takes several rule ids and merges their results newest first', async () => {
      const r = await cli([
        'search',
        '--endpoints',
        endpoints,
        '--risk',
        'host-exposed,tls-removed',
        '--limit',
        '1000',
        '--json',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const want = [...Array(40).keys()].filter((i) => i % 4 === 0 || i % 6 === 0).reverse();
      assert.deepEqual(
        jsonLines(r.stdout).map((l) => l.index),
        want,
      );
      const repeated = await cli([
        'search',
        '--endpoints',
        endpoints,
        '--risk',
        'tls-removed',
        '--risk',
        'host-exposed',
        '--limit',
        '1000',
        '--json',
      ]);
      assert.equal(repeated.stdout, r.stdout);
    });

    it('--severity keeps entries with a finding of those severities, up to --limit', async () => {
      const r = await cli([
        'search',
        '--endpoints',
        endpoints,
        '--severity',
        'critical,high',
        '--limit',
        '3',
        '--json',
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        jsonLines(r.stdout).map((l) => l.index),
        [36, 30, 24],
      );
    });

    const usage: [string, string[]][] = [
      ['an unknown severity', ['--severity', 'severe']],
      ['an empty severity', ['--severity', '']],
      ['a rule id that is not one', ['--risk', 'TLS removed']],
      ['an unknown output format', ['-o', 'xml']],
      ['--json with -o yaml', ['--json', '-o', 'yaml']],
    ];
    for (const [name, args] of usage) {
      it(`exits 2 for ${name}`, async () => {
        const r = await cli(['search', '--endpoints', endpoints, ...args]);
        assert.equal(r.status, 2, r.stdout + r.stderr);
      });
    }
  });

  describe('evidence', () => {
    it("prove --bundle ships policy and collector.vkeys, and the README's command exits 0", async () => {
      const dir = join(f.dir, 'readme-bundle');
      const r = await cli(['prove', '--endpoints', endpoints, '--bundle', dir, '--index', '4,11']);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(existsSync(join(dir, 'collector.vkeys')));
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      const block = /## Verify with ingress-ledger\n\n```\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? '';
      const args = block
        .replace(/\\\n\s*/g, ' ')
        .trim()
        .split(/\s+/);
      assert.equal(args[0], 'ingress-ledger');
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        const v = await cli(args.slice(1));
        assert.equal(v.status, 0, v.stderr);
      } finally {
        process.chdir(cwd);
      }
    });

    it('prove --bundle without any collector key is exit 2 naming the flag', async () => {
      const r = await cli([
        'prove',
        '--grpc',
        ledger.address,
        '--policy',
        join(fixtureLog(0).dir, 'policy'),
        '--bundle',
        join(f.dir, 'no-keys'),
        '--index',
        '1',
      ]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--collector-vkey/);
    });
  });
});

describe('a pipe into head', { timeout: 600_000 }, () => {
  let f: FixtureLog;
  let ledger: MemoryLedger;
  before(async () => {
    f = fixtureLog(3000);
    ledger = await startMemoryLedger(f.log);
  });
  after(async () => {
    await ledger.close();
  });

  for (const args of [
    ['search', '--limit', '3000', '--json'],
    ['entries', '--start', '0', '--end', '3000'],
  ]) {
    it(`${args[0]} ends quietly when the reader closes the pipe`, async () => {
      const child = spawn(
        'bash',
        [
          '-c',
          `set -o pipefail; "${process.execPath}" "${CLI_BIN}" "$@" | head -1`,
          'sh',
          ...args,
          '--grpc',
          ledger.address,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
      assert.equal(stderr, '');
      assert.equal(status, 0);
      assert.equal(stdout.trim().split('\n').length, 1);
    });
  }
});

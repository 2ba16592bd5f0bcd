import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isConfigError, Registry, silentLogger, writeKeyFiles } from '../../packages/runtime/index.js';
import { generateKey, openNote, type PrivateKey, parseVkey } from '../../packages/tlog/index.js';
import {
  freePort,
  haveNatsServer,
  type NatsServer,
  startNatsServer,
} from '../../test/support/nats-server.js';
import { REPO_ROOT } from '../../test/support/shared.js';
import { collectorCommand, configFromFlags, startCollector } from './index.js';
import { StreamReader, waitFor } from './testing.js';

const MAIN = join(REPO_ROOT, 'dist', 'services', 'collector', 'main.js');
const FIXTURES = join(REPO_ROOT, 'services', 'collector', 'testdata');
const lines = readFileSync(join(FIXTURES, 'audit-events.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l !== '');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  { skipped?: string }
>;
const changeCount = (ls: string[]) =>
  ls.filter((l) => expected[(JSON.parse(l) as { auditID: string }).auditID]?.skipped === undefined).length;

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
  });
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, stderr };
}

describe('the collector command', { skip: haveNatsServer() ? false : 'nats-server is not installed' }, () => {
  let nats: NatsServer;
  let dir: string;
  let key: PrivateKey;
  let keyFile: string;
  const base = () => [
    '--cluster',
    'cmd',
    '--key',
    keyFile,
    '--nats-url',
    nats.url,
    '--webhook-listen',
    '127.0.0.1:0',
  ];

  before(async () => {
    nats = await startNatsServer();
    dir = mkdtempSync(join(tmpdir(), 'il-cmd-'));
    key = generateKey('collector/cmd');
    writeKeyFiles(join(dir, 'collector'), key.skey, key.vkey);
    keyFile = join(dir, 'collector.key');
    writeKeyFiles(join(dir, 'other'), generateKey('collector/other').skey, '');
  });
  after(async () => {
    await nats?.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  });

  describe('when the configuration is bad', () => {
    const cases: { name: string; args: () => string[]; flag: string }[] = [
      { name: 'no cluster', args: () => base().slice(2), flag: '--cluster' },
      { name: 'a cluster with a dot', args: () => [...base(), '--cluster', 'a.b'], flag: '--cluster' },
      { name: 'a missing key file', args: () => [...base(), '--key', join(dir, 'nope')], flag: '--key' },
      {
        name: 'a key of another cluster',
        args: () => [...base(), '--key', join(dir, 'other.key')],
        flag: '--key',
      },
      {
        name: 'a bad listen address',
        args: () => [...base(), '--webhook-listen', '127.0.0.1'],
        flag: '--webhook-listen',
      },
      {
        name: 'a port out of range',
        args: () => [...base(), '--webhook-listen', '127.0.0.1:70000'],
        flag: '--webhook-listen',
      },
      {
        name: 'plain HTTP off loopback',
        args: () => [...base(), '--webhook-listen', '0.0.0.0:0'],
        flag: '--webhook-listen',
      },
      {
        name: 'a body limit that is not a number',
        args: () => [...base(), '--max-body-bytes', '10k'],
        flag: '--max-body-bytes',
      },
      {
        name: 'a log path without a position file',
        args: () => [...base(), '--audit-log-path', '/tmp/x'],
        flag: '--position-file',
      },
      {
        name: 'an unknown resource syntax',
        args: () => [...base(), '--resources', 'Ingresses!'],
        flag: '--resources',
      },
      {
        name: 'a token file that is missing',
        args: () => [...base(), '--webhook-token-file', join(dir, 'none')],
        flag: '--webhook-token-file',
      },
      {
        name: 'a short token',
        args: () => [...base(), '--webhook-token-file', join(dir, 'short')],
        flag: '--webhook-token-file',
      },
      {
        name: 'a NATS CA file that is not PEM',
        args: () => [...base(), '--nats-ca-file', join(dir, 'short')],
        flag: '--nats-ca-file',
      },
      {
        name: 'a missing nkey seed file',
        args: () => [...base(), '--nats-nkey-file', join(dir, 'none')],
        flag: '--nats-nkey-file',
      },
      {
        name: 'a NATS client certificate without its key',
        args: () => [...base(), '--nats-cert-file', join(dir, 'short')],
        flag: '--nats-',
      },
      {
        name: 'a Pub/Sub audience without its keys file',
        args: () => [...base(), '--gke-pubsub-audience', 'https://c.example/sources/gke-pubsub'],
        flag: '--gke-pubsub-oidc-keys-file',
      },
      {
        name: 'a Pub/Sub keys file without its audience',
        args: () => [...base(), '--gke-pubsub-oidc-keys-file', join(dir, 'short')],
        flag: '--gke-pubsub-audience',
      },
      {
        name: 'a Pub/Sub service account without an audience',
        args: () => [...base(), '--gke-pubsub-service-account', 'a@b.iam.gserviceaccount.com'],
        flag: '--gke-pubsub-audience',
      },
      {
        name: 'a Pub/Sub keys file without a key',
        args: () => [
          ...base(),
          '--gke-pubsub-audience',
          'https://c.example/sources/gke-pubsub',
          '--gke-pubsub-oidc-keys-file',
          join(dir, 'short'),
        ],
        flag: '--gke-pubsub-oidc-keys-file',
      },
    ];
    // Parsed in-process (spawning a node per case is slow on a shared machine); two cases also
    // run the real executable below to show the exit status.
    for (const c of cases) {
      it(`fails with CONFIG naming ${c.flag} for ${c.name}`, async () => {
        writeFileSync(join(dir, 'short'), 'abc\n');
        const cmd = collectorCommand();
        cmd.action(() => undefined);
        cmd.parse(c.args(), { from: 'user' });
        await assert.rejects(
          async () =>
            startCollector(configFromFlags(cmd.opts()), { logger: silentLogger(), registry: new Registry() }),
          (err: unknown) => isConfigError(err) && (err as Error).message.includes(c.flag),
        );
      });
    }
    for (const c of [
      { name: 'no cluster', args: () => base().slice(2), flag: '--cluster' },
      { name: 'an unknown flag', args: () => [...base(), '--frobnicate', '1'], flag: '--frobnicate' },
    ]) {
      it(`exits 2 naming ${c.flag} for ${c.name}`, async () => {
        const { code, stderr } = await exitOf(run(c.args()));
        assert.equal(code, 2);
        assert.ok(stderr.includes(c.flag), stderr);
      });
    }
  });

  it('binds its webhook and metrics to loopback when the host is left out', async () => {
    const cmd = collectorCommand();
    cmd.action(() => undefined);
    cmd.parse([...base(), '--webhook-listen', ':0', '--metrics-listen', ':0'], { from: 'user' });
    const c = configFromFlags(cmd.opts());
    assert.equal(c.webhookListen, '127.0.0.1:0');
    assert.equal(c.metricsListen, '127.0.0.1:0');
    const running = await startCollector(c, { logger: silentLogger(), registry: new Registry() });
    try {
      assert.match(running.webhookUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    } finally {
      await running.close();
    }
  });

  it('takes its settings from INGRESS_LEDGER_* and --config, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    writeFileSync(join(dir, 'token'), 'env-token-0123456789abcdef\n');
    writeFileSync(
      join(dir, 'config.yaml'),
      `cluster: cmd\nnats-url: ${nats.url}\nresources: [ingresses.networking.k8s.io]\n`,
    );
    const child = run(['--config', join(dir, 'config.yaml')], {
      INGRESS_LEDGER_KEY: keyFile,
      INGRESS_LEDGER_WEBHOOK_LISTEN: `127.0.0.1:${port}`,
      INGRESS_LEDGER_WEBHOOK_TOKEN_FILE: join(dir, 'token'),
    });
    const exited = exitOf(child);
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      10_000,
      'healthz',
    );
    const unauth = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' });
    assert.equal(unauth.status, 401);
    const ok = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer env-token-0123456789abcdef' },
      body: '{"kind":"EventList","items":[]}',
    });
    assert.equal(ok.status, 200);
    child.kill('SIGTERM');
    assert.equal((await exited).code, 0);
  });

  it('resumes its audit log after SIGKILL and a rotation, with nothing lost or doubled', async () => {
    const log = join(dir, 'audit.log');
    const args = [...base(), '--audit-log-path', log, '--position-file', join(dir, 'pos.json')];
    const reader = await StreamReader.connect(nats.url);
    const vkey = parseVkey(key.vkey);
    const ids = async () =>
      (await reader.changes()).map(
        (m) => (JSON.parse(openNote(m.data, [vkey]).note.text) as { auditID: string }).auditID,
      );
    try {
      writeFileSync(
        log,
        lines
          .slice(0, 12)
          .map((l) => `${l}\n`)
          .join(''),
      );
      const first = run(args);
      const firstExit = exitOf(first);
      const want1 = changeCount(lines.slice(0, 12));
      await waitFor(async () => (await reader.count('INGRESS_CHANGES')) >= want1, 15_000, 'first lines');
      first.kill('SIGKILL');
      await firstExit;
      appendFileSync(
        log,
        lines
          .slice(12, 18)
          .map((l) => `${l}\n`)
          .join(''),
      );
      renameSync(log, join(dir, 'audit-2025-03-14T11-00-00.000.log'));
      writeFileSync(
        log,
        lines
          .slice(18)
          .map((l) => `${l}\n`)
          .join(''),
      );
      const second = run(args);
      const secondExit = exitOf(second);
      await waitFor(
        async () => (await reader.count('INGRESS_CHANGES')) >= changeCount(lines),
        15_000,
        'all lines',
      );
      await new Promise((r) => setTimeout(r, 300));
      const got = await ids();
      assert.equal(got.length, changeCount(lines));
      assert.equal(new Set(got).size, got.length);
      second.kill('SIGTERM');
      assert.equal((await secondExit).code, 0);
    } finally {
      await reader.close();
    }
  });
});

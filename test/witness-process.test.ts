// The witness as its own process (node dist/services/witness/main.js): flags, exit statuses, and
// a cosigned size that survives SIGKILL straight after the 200 answer.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeKeyFiles } from '../packages/runtime/index.js';
import { cosignatureVerifier, formatAddCheckpoint, generateKey, openNote } from '../packages/tlog/index.js';
import { MemoryLog } from '../packages/tlog/testing.js';
import { freePort } from './support/nats-server.js';
import { REPO_ROOT } from './support/shared.js';

const MAIN = join(REPO_ROOT, 'dist/services/witness/main.js');
const dir = mkdtempSync(join(tmpdir(), 'witness-process-'));
const keyPrefix = join(dir, 'witness');
const witnessKey = generateKey('witness.example/proc');
writeKeyFiles(keyPrefix, witnessKey.skey, witnessKey.vkey);
const log = new MemoryLog({ logKey: generateKey('example.com/proc-log') });

interface Started {
  child: ChildProcess;
  url: string;
  vkey: string;
}

function start(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^witness \S+ at (\S+)\nvkey (\S+)\n/.exec(out);
      if (m !== null) resolve({ child, url: m[1] ?? '', vkey: m[2] ?? '' });
    });
    child.once('exit', (code) => reject(new Error(`witness exited ${code} before listening`)));
    setTimeout(() => reject(new Error('witness did not start')), 10_000).unref();
  });
}

function exitCode(args: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    stdio: 'ignore',
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const stopped = (c: ChildProcess) =>
  new Promise((resolve) => c.once('exit', (code, signal) => resolve(signal ?? code)));

const flags = (dataDir: string) => [
  '--data-dir',
  dataDir,
  '--listen',
  '127.0.0.1:0',
  '--key',
  `${keyPrefix}.key`,
  '--log',
  log.key.vkey,
];

describe('the witness process', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 on bad usage or configuration', async () => {
    const d = join(dir, 'bad');
    // In parallel: each is a process start, and the machine is shared.
    const codes = await Promise.all([
      exitCode(['--data-dir', d, '--listen', '127.0.0.1:0', '--key', `${keyPrefix}.key`]),
      exitCode([...flags(d).slice(0, 2), '--listen', 'nowhere', ...flags(d).slice(4)]),
      exitCode([...flags(d).slice(0, 5), join(dir, 'missing.key'), ...flags(d).slice(6)]),
      exitCode([...flags(d).slice(0, 7), 'not-a-vkey']),
      exitCode([...flags(d), '--no-such-flag']),
    ]);
    assert.deepEqual(codes, [2, 2, 2, 2, 2]);
  });

  it('keeps a cosigned size across SIGKILL right after answering, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(dir, 'state');
    const first = await start(flags(dataDir));
    log.append('a', 'b', 'c', 'd');
    const note = log.checkpoint();
    const res = await fetch(`${first.url}/add-checkpoint`, {
      method: 'POST',
      body: formatAddCheckpoint(0n, [], note),
    });
    const cosig = await res.text();
    first.child.kill('SIGKILL');
    assert.equal(res.status, 200);
    assert.equal(openNote(note + cosig, [cosignatureVerifier(first.vkey)]).verified.length, 1);
    assert.equal(await stopped(first.child), 'SIGKILL');

    const metricsPort = await freePort();
    const second = await start([...flags(dataDir), '--metrics-listen', `127.0.0.1:${metricsPort}`]);
    assert.equal(second.vkey, first.vkey);
    const again = await fetch(`${second.url}/add-checkpoint`, {
      method: 'POST',
      body: formatAddCheckpoint(0n, [], note),
    });
    assert.equal(again.status, 409);
    assert.equal(again.headers.get('content-type'), 'text/x.tlog.size');
    assert.equal(await again.text(), '4\n');
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(
      metrics,
      /ingress_ledger_witness_add_checkpoint_requests_total\{status="409",service="witness"\} 1/,
    );
    second.child.kill('SIGTERM');
    assert.equal(await stopped(second.child), 0);
  });
});

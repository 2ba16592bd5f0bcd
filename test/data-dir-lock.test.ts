// One process per data dir, across real processes: a second ledger on a dir in use exits 2 naming
// the holder (pid, host, start time); after the first is SIGKILLed a new one starts on the same
// dir; `up` and `reindex` refuse a data dir another process holds.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataDirLockError, lockDataDir } from '../packages/runtime/index.js';
import { runCli, spawnCli } from '../services/cli/testing/run-cli.js';
import { setupKeys } from './ledger-fixtures.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

/** Starts `ingress-ledger ledger` and resolves once it logged that it started. */
function startLedgerProcess(args: string[]): Promise<ChildProcess> {
  const child = spawnCli(['ledger', ...args], { LOG_LEVEL: 'info' });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ledger did not start: ${err}`)), 30_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('"msg":"ledger started"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ledger exited (${code}): ${err}`));
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return gone;
}

describe('the data dir lock', () => {
  it('is taken once per dir in a process, names its holder, and is free again once released', () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-lock-'));
    try {
      const lock = lockDataDir(dir, 'ledger');
      const err = (() => {
        try {
          lockDataDir(dir, 'ledger');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      assert.ok(err instanceof DataDirLockError);
      assert.equal(err.code, 'CONFIG');
      assert.equal(err.holder?.pid, process.pid);
      assert.equal(err.holder?.host, hostname());
      assert.match(err.message, new RegExp(`in use by ledger pid ${process.pid} on host `));
      // The failed attempt closed its own file handle; that must not drop the holder's lock.
      assert.throws(() => lockDataDir(dir, 'up'), DataDirLockError);
      lock.release();
      lockDataDir(dir, 'ledger').release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a second ledger process on the same data dir', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 90_000,
}, () => {
  const keys = setupKeys('example.com/lock', ['c1']);
  let nats: NatsServer;
  let args: string[];
  const children: ChildProcess[] = [];
  before(async () => {
    nats = await startNatsServer();
    args = [
      '--data-dir',
      join(keys.dir, 'data'),
      '--nats-url',
      nats.url,
      '--grpc-listen',
      '127.0.0.1:0',
      '--key',
      keys.keyFile,
      '--collector-keys',
      keys.collectorKeysFile,
      '--verify-workers',
      '1',
    ];
  });
  after(async () => {
    for (const c of children) await killed(c);
    await nats?.stop({ removeStore: true });
    rmSync(keys.dir, { recursive: true, force: true });
  });

  it('exits 2 naming the holder, and after SIGKILL of the first a new one starts', async () => {
    const first = await startLedgerProcess(args);
    children.push(first);
    const second = await runCli(['ledger', ...args]);
    assert.equal(second.status, 2, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(`is in use by ledger pid ${first.pid} on host ${hostname()}, started \\d{4}-\\d\\d-\\d\\dT`),
    );

    await killed(first);
    const third = await startLedgerProcess(args);
    children.push(third);
    third.kill('SIGTERM');
    await new Promise((resolve) => third.once('exit', resolve));
    assert.equal(third.exitCode, 0);
  });

  it('`reindex` exits 2 on a data dir a ledger holds, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-lock-reindex-'));
    writeFileSync(join(dir, 'ledger.sqlite'), '');
    const lock = lockDataDir(dir, 'ledger');
    try {
      const r = await runCli(['reindex', '--data-dir', dir]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`in use by ledger pid ${process.pid}`));
    } finally {
      lock.release();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`up` exits 2 on a data dir another process holds, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-lock-up-'));
    const lock = lockDataDir(dir, 'ledger');
    try {
      const r = await runCli(['up', '--data-dir', dir, '--nats-url', nats.url], { timeoutMs: 30_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`in use by ledger pid ${process.pid}`));
    } finally {
      lock.release();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// A ledger start that fails at any stage releases everything it had opened: the data-dir lock can
// be taken again, no port stays bound, no NATS connection stays open. A start that succeeds closes
// the same way, once, however often close() is called.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { Ledger } from '../../packages/proto/index.js';
import { createClient } from '../../packages/rpc/index.js';
import { changesSubject, lockDataDir, silentLogger } from '../../packages/runtime/index.js';
import {
  type KeySetup,
  ledgerSettings,
  makeChange,
  setupKeys,
  signChange,
} from '../../test/ledger-fixtures.js';
import {
  freePort,
  haveNatsServer,
  type NatsServer,
  startNatsServer,
} from '../../test/support/nats-server.js';
import type { RawSettings } from './config.js';
import { ledgerConfig, startLedger } from './index.js';
import { publishedMarkPath } from './published-mark.js';

const skip = haveNatsServer() ? false : 'no nats-server';

/** Holds a loopback port the way another process would. */
function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

const release = (s: Server) => new Promise<void>((r) => s.close(() => r()));

describe('a ledger start that fails half-way', { skip }, () => {
  let nats: NatsServer;
  let monitorPort = 0;
  let keys: KeySetup;

  /** Client connections the NATS server has open now (its monitoring endpoint). */
  async function natsConnections(): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${monitorPort}/connz`);
    return ((await res.json()) as { num_connections: number }).num_connections;
  }

  /** Everything the start may have opened is free again. */
  async function assertReleased(settings: RawSettings, ports: number[]): Promise<void> {
    lockDataDir(String(settings['data-dir']), 'test').release();
    for (const port of ports) await release(await occupy(port));
    // The server notices a closed connection after the client's close, so give it a moment.
    const until = Date.now() + 5000;
    while ((await natsConnections()) !== 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await natsConnections(), 0, 'NATS connections left open');
  }

  async function settings(extra: RawSettings): Promise<RawSettings> {
    return ledgerSettings(keys, nats.url, {
      'grpc-listen': `127.0.0.1:${await freePort()}`,
      'verify-workers': '1',
      ...extra,
    });
  }

  const grpcPort = (s: RawSettings) => Number(String(s['grpc-listen']).split(':')[1]);

  before(async () => {
    monitorPort = await freePort();
    nats = await startNatsServer({ config: `http: "127.0.0.1:${monitorPort}"\n` });
    keys = setupKeys('ledger.test/start', ['c1']);
  });
  after(async () => {
    await nats?.stop({ removeStore: true });
    rmSync(keys.dir, { recursive: true, force: true });
  });

  it('keeps the published checkpoint beside the store, and refuses a store older than it', async () => {
    const s = await settings({ 'data-dir': join(keys.dir, 'rolled-back'), search: 'off' });
    const dir = String(s['data-dir']);
    const ledger = await startLedger(ledgerConfig(s), { logger: silentLogger() });
    await ledger.close();
    const mark = readFileSync(publishedMarkPath(dir), 'utf8');
    assert.match(mark, /^ledger\.test\/start\n0\n/);
    // As if the store had been restored from a copy older than what the log published.
    const forged = mark.replace(/^(.*\n)0\n/, '$15\n');
    writeFileSync(publishedMarkPath(dir), forged);
    await assert.rejects(
      startLedger(ledgerConfig(s), { logger: silentLogger() }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ROLLED_BACK');
        assert.match(err.message, /holds 0 entries, but a checkpoint of size 5 was published/);
        return true;
      },
    );
    await assertReleased(s, [grpcPort(s)]);
  });

  it('releases the lock and store when NATS is unreachable', async () => {
    const s = await settings({ 'nats-url': `nats://127.0.0.1:${await freePort()}` });
    await assert.rejects(startLedger(ledgerConfig(s), { logger: silentLogger() }), { code: 'CONNECT' });
    await assertReleased(s, [grpcPort(s)]);
  });

  it('releases the lock, store, search follower, checkpointer and NATS when the gRPC port is taken', async () => {
    const s = await settings({ search: 'on' });
    const held = await occupy(grpcPort(s));
    try {
      await assert.rejects(startLedger(ledgerConfig(s), { logger: silentLogger() }));
    } finally {
      await release(held);
    }
    await assertReleased(s, [grpcPort(s)]);
  });

  it('releases everything, the gRPC port too, when the metrics port is taken (the last stage)', async () => {
    const metricsPort = await freePort();
    const s = await settings({ search: 'on', 'metrics-listen': `127.0.0.1:${metricsPort}` });
    const held = await occupy(metricsPort);
    try {
      await assert.rejects(startLedger(ledgerConfig(s), { logger: silentLogger() }), { code: 'EADDRINUSE' });
    } finally {
      await release(held);
    }
    await assertReleased(s, [grpcPort(s), metricsPort]);
  });

  it('holds the lock and ports while running, and releases them all on close, once', async () => {
    const metricsPort = await freePort();
    const s = await settings({ search: 'on', 'metrics-listen': `127.0.0.1:${metricsPort}` });
    const ledger = await startLedger(ledgerConfig(s), { logger: silentLogger() });
    try {
      // The checks of assertReleased can fail: a second lock on the same dir is refused.
      assert.throws(() => lockDataDir(String(s['data-dir']), 'test'));
      await assert.rejects(occupy(grpcPort(s)), { code: 'EADDRINUSE' });
      assert.ok((await natsConnections()) > 0);
    } finally {
      await Promise.all([ledger.close(), ledger.close()]);
    }
    await ledger.close();
    await assertReleased(s, [grpcPort(s), metricsPort]);
  });

  it('signs the last checkpoint on close while WatchCheckpoints streams still run', async () => {
    // A new log signs its first checkpoint (size 0) at start and then no round for an hour: the
    // entry below is first covered by the checkpoint close() signs.
    const s = await settings({
      'data-dir': join(keys.dir, 'last-checkpoint'),
      search: 'off',
      'checkpoint-interval': '1h',
    });
    const registry = new Registry();
    const ledger = await startLedger(ledgerConfig(s), { logger: silentLogger(), registry });
    const client = createClient(Ledger, ledger.grpcAddress);
    const nc = await connect({ servers: nats.url });
    try {
      const sizes: bigint[] = [];
      const watching = (async () => {
        for await (const c of client.watchCheckpoints({})) sizes.push(c.size);
      })().catch(() => {});
      const key = keys.collectors.get('c1')!;
      await jetstream(nc).publish(changesSubject('c1'), signChange(makeChange('c1', 'last-1'), key), {
        msgID: 'c1/last-1',
      });
      const until = Date.now() + 10_000;
      const committed = async () => /ingress_ledger_ledger_tree_size 1\b/.test(await registry.metrics());
      while ((sizes.length === 0 || !(await committed())) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(sizes, [0n]);
      await ledger.close();
      await watching;
      assert.deepEqual(sizes, [0n, 1n]);
    } finally {
      client.close();
      await nc.close();
      await ledger.close();
    }
  });
});

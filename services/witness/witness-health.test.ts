// A witness's probes over real HTTP: /livez and /readyz pass while its state database takes writes;
// when a write fails (another connection holds SQLite's lock past the busy timeout) /readyz says
// so, and the next write that commits makes it ready again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createRegistry, silentLogger } from '../../packages/runtime/index.js';
import { formatAddCheckpoint, generateKey, parseVkey } from '../../packages/tlog/index.js';
import { MemoryLog } from '../../packages/tlog/testing.js';
import { freePort } from '../../test/support/nats-server.js';
import { type RunningWitness, startWitness } from './service.js';
import { STATE_FILE } from './state.js';

describe('witness /livez and /readyz', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'witness-health-'));
  const log = new MemoryLog({ logKey: generateKey('example.com/health-log') }).append('a', 'b');
  let w: RunningWitness;
  let probes: string;
  const get = async (path: string) => {
    const res = await fetch(`${probes}${path}`);
    return { status: res.status, text: await res.text() };
  };
  const add = (old: bigint) =>
    fetch(`${w.url}/add-checkpoint`, {
      method: 'POST',
      body: formatAddCheckpoint(old, old === 0n ? [] : log.consistencyProof(old), log.checkpoint()),
    });

  before(async () => {
    const port = await freePort();
    probes = `http://127.0.0.1:${port}`;
    w = await startWitness(
      {
        dataDir: dir,
        listen: '127.0.0.1:0',
        key: generateKey('witness.example/health'),
        logs: [parseVkey(log.key.vkey)],
        metricsListen: `127.0.0.1:${port}`,
      },
      { logger: silentLogger(), registry: createRegistry('witness') },
    );
  });
  after(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are 200 while the state takes writes, with build_info among the metrics', async () => {
    assert.equal((await add(0n)).status, 200);
    assert.deepEqual(await get('/livez'), { status: 200, text: 'ok\n' });
    assert.deepEqual(await get('/readyz'), { status: 200, text: 'ok\n' });
    assert.match((await get('/metrics')).text, /^ingress_ledger_build_info\{.*service="witness"\} 1$/m);
  });

  it('/readyz is 503 after a failed write, and 200 after the next one commits', async () => {
    const other = new Database(join(dir, STATE_FILE));
    other.exec('BEGIN EXCLUSIVE');
    try {
      // The witness waits out its busy timeout (5 s), then fails the request.
      const res = await add(2n);
      assert.ok(res.status >= 500, `status ${res.status}`);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const down = await get('/readyz');
    assert.equal(down.status, 503);
    assert.match(down.text, /^store: last write failed at \S+ \(SQLITE_BUSY\)\n$/);
    assert.equal((await get('/livez')).status, 200);

    log.append('c');
    assert.equal((await add(2n)).status, 200);
    assert.deepEqual(await get('/readyz'), { status: 200, text: 'ok\n' });
  });
});

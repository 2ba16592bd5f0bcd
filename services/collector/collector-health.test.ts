// The collector's probes over real HTTP against a real nats-server: /readyz is 503 naming NATS while
// the server is down (a change could not be published durably), 200 again once the client has
// reconnected; /livez stays 200 throughout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRegistry, silentLogger } from '../../packages/runtime/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import {
  freePort,
  haveNatsServer,
  type NatsServer,
  startNatsServer,
} from '../../test/support/nats-server.js';
import { type RunningCollector, startCollector } from './index.js';

async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('collector /livez and /readyz', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 60_000,
}, () => {
  let nats: NatsServer;
  let collector: RunningCollector;
  let probes: string;
  const get = async (path: string) => {
    const res = await fetch(`${probes}${path}`);
    return { status: res.status, text: await res.text() };
  };

  before(async () => {
    nats = await startNatsServer();
    const port = await freePort();
    probes = `http://127.0.0.1:${port}`;
    collector = await startCollector(
      {
        cluster: 'health',
        key: generateKey('collector/health'),
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        metricsListen: `127.0.0.1:${port}`,
        workers: 1,
      },
      { logger: silentLogger(), registry: createRegistry('collector') },
    );
  });
  after(async () => {
    await collector?.close();
    await nats?.stop({ removeStore: true });
  });

  it('are 200 with NATS connected, and every metric is ingress_ledger_*', async () => {
    assert.deepEqual(await get('/livez'), { status: 200, text: 'ok\n' });
    assert.deepEqual(await get('/readyz'), { status: 200, text: 'ok\n' });
    const names = (await get('/metrics')).text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/, 1)[0] ?? '');
    assert.ok(names.includes('ingress_ledger_build_info'));
    for (const n of names) assert.match(n, /^ingress_ledger_/);
  });

  it('/readyz is 503 naming NATS while it is down, and 200 once reconnected', async () => {
    await nats.stop();
    let body = '';
    await eventually('503', async () => {
      const r = await get('/readyz');
      body = r.text;
      return r.status === 503;
    });
    assert.match(body, /^nats: NATS 127\.0\.0\.1:\d+ lost at /);
    assert.equal((await get('/livez')).status, 200);
    await nats.restart();
    await eventually('200', async () => (await get('/readyz')).status === 200);
  });
});

// Stopping with NATS gone: a drain waits for the server, so close() must not wait on it for ever
// (SIGTERM used to hang for minutes when JetStream's server was away).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_NATS_CLOSE_MS, Registry, silentLogger } from '../../packages/runtime/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import { haveNatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { startCollector } from './index.js';

describe('stopping the collector', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
}, () => {
  it('ends within the NATS close deadline when the server is gone', async () => {
    const nats = await startNatsServer();
    try {
      const collector = await startCollector(
        {
          cluster: 'stop',
          key: generateKey('collector/stop'),
          nats: { url: nats.url },
          webhookListen: '127.0.0.1:0',
          workers: 1,
        },
        { logger: silentLogger(), registry: new Registry() },
      );
      await nats.stop();
      // Let the client notice and start reconnecting.
      await new Promise((r) => setTimeout(r, 500));
      const started = Date.now();
      await collector.close();
      const took = Date.now() - started;
      assert.ok(took < DEFAULT_NATS_CLOSE_MS + 5000, `close took ${took} ms`);
    } finally {
      await nats.stop({ removeStore: true });
    }
  });
});

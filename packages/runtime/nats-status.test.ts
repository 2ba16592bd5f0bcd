// watchNatsConnection against a real nats-server that requires a password: stopping the server is
// logged at warn and fails the readiness check, starting it again is logged at info and passes it;
// neither the log lines nor the readiness reason carry the credentials of the connection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { haveNatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { connectNats, watchNatsConnection } from './nats.js';

const PASSWORD = 's3cret-pass-word';

async function until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('watchNatsConnection', {
  skip: haveNatsServer() ? false : 'no nats-server',
  timeout: 60_000,
}, () => {
  it('logs a disconnect (warn) and a reconnect (info) with the address only, and follows them in readiness', async () => {
    const nats = await startNatsServer({
      config: `authorization { user: ledger, password: "${PASSWORD}" }\n`,
    });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const nc = await connectNats({ url: nats.url, user: 'ledger', password: PASSWORD }).catch(
      async (err: unknown) => {
        await nats.stop({ removeStore: true });
        throw err;
      },
    );
    try {
      const link = watchNatsConnection(nc, logger);
      assert.equal(link.check(), undefined);
      assert.equal(link.connected, true);

      await nats.stop();
      await until('the disconnect', () => !link.connected);
      const reason = link.check() ?? '';
      assert.match(reason, new RegExp(`^NATS 127\\.0\\.0\\.1:${nats.port} lost at \\d{4}-`));
      const warn = JSON.parse(lines.find((l) => l.includes('NATS disconnected')) ?? '{}');
      assert.equal(warn.level, 40);
      assert.equal(warn.server, `127.0.0.1:${nats.port}`);

      await nats.restart();
      await until('the reconnect', () => link.connected);
      assert.equal(link.check(), undefined);
      const info = JSON.parse(lines.find((l) => l.includes('NATS reconnected')) ?? '{}');
      assert.equal(info.level, 30);
      assert.equal(info.server, `127.0.0.1:${nats.port}`);

      for (const text of [...lines, reason]) {
        assert.ok(!text.includes(PASSWORD), `a credential leaked: ${text}`);
      }
      await nc.close();
      assert.equal(link.check(), 'NATS connection closed');
    } finally {
      await nc.close().catch(() => {});
      await nats.stop({ removeStore: true });
    }
  });
});

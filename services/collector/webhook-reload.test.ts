// The webhook follows its Secret: a certificate renewed by an atomic symlink swap (as cert-manager
// renews a mounted Secret) and a rotated bearer token take effect within seconds, without a
// restart; a new file that cannot serve keeps the old one and logs an error. Refused requests are
// logged with the peer's address, rate-limited, and never with the token.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from '../../packages/runtime/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import { haveOpenssl, makeLeaf, makeTestPki, NO_OPENSSL } from '../../test/support/certs.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { fingerprintOf, SecretDir, servedFingerprint, within } from '../../test/support/secret-dir.js';
import { type RunningCollector, startCollector } from './index.js';

const OLD_TOKEN = 'old-token-0123456789abcdef';
const NEW_TOKEN = 'new-token-0123456789abcdef';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

describe('the webhook follows its certificate and token files', {
  skip: !haveNatsServer() ? 'nats-server is not installed' : !haveOpenssl() ? NO_OPENSSL : false,
}, () => {
  let dir = '';
  const f = (name: string) => join(dir, name);
  let nats: NatsServer;
  let collector: RunningCollector;
  let secret: SecretDir;
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (s: string) => {
        raw.push(s);
        lines.push(JSON.parse(s) as LogLine);
      },
    },
  );
  const files = (cert: string, token: string) => ({
    'tls.crt': readFileSync(f(`${cert}.crt`)),
    'tls.key': readFileSync(f(`${cert}.key`)),
    token: `${token}\n`,
  });
  const port = () => Number(new URL(collector.webhookUrl).port);
  const errors = () => lines.filter((l) => l.level >= 50).length;

  function post(token: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(collector.webhookUrl, {
        method: 'POST',
        agent: false,
        ca: readFileSync(f('ca.crt')),
        servername: 'localhost',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}');
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-webhook-reload-'));
    makeTestPki(dir);
    makeLeaf(dir, 'ca', 'renewed', 'serverAuth');
    secret = new SecretDir(f('secret'));
    secret.publish(files('server', OLD_TOKEN));
    nats = await startNatsServer();
    collector = await startCollector(
      {
        cluster: 'reload',
        key: generateKey('collector/reload'),
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: OLD_TOKEN,
        webhookTokenFile: secret.path('token'),
        tls: { certFile: secret.path('tls.crt'), keyFile: secret.path('tls.key') },
        reloadIntervalMs: 100,
        workers: 1,
      },
      { logger, registry: new Registry() },
    );
  });
  after(async () => {
    await collector?.close();
    await nats?.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the certificate and token it started with', async () => {
    assert.equal(await servedFingerprint(port()), fingerprintOf(f('server.crt')));
    assert.equal(await post(OLD_TOKEN), 200);
  });

  it('serves a renewed certificate to new connections within seconds', async () => {
    secret.publish(files('renewed', OLD_TOKEN));
    const want = fingerprintOf(f('renewed.crt'));
    await within(5000, 'the renewed certificate', async () => (await servedFingerprint(port())) === want);
    assert.equal(await post(OLD_TOKEN), 200);
  });

  it('accepts a rotated token within seconds, and refuses the old one', async () => {
    secret.publish(files('renewed', NEW_TOKEN));
    await within(5000, 'the new token', async () => (await post(NEW_TOKEN)) === 200);
    assert.equal(await post(OLD_TOKEN), 401);
  });

  for (const [name, bad] of [
    ['a token file that is too short', () => ({ ...files('renewed', NEW_TOKEN), token: 'short\n' })],
    ['a certificate that is not PEM', () => ({ ...files('renewed', NEW_TOKEN), 'tls.crt': 'junk\n' })],
    [
      'a key that does not match the certificate',
      () => ({ ...files('renewed', NEW_TOKEN), 'tls.key': readFileSync(f('server.key')) }),
    ],
  ] as const) {
    it(`keeps the current files and logs an error for ${name}`, async () => {
      const before = errors();
      secret.publish(bad());
      await within(5000, 'an error logged', async () => errors() > before);
      assert.equal(await servedFingerprint(port()), fingerprintOf(f('renewed.crt')));
      assert.equal(await post(NEW_TOKEN), 200);
    });
  }

  it('logs refused requests with the peer, once per peer per interval, and never the token', async () => {
    const refused = () => lines.filter((l) => /refused a request/.test(l.msg));
    const seen = refused().length;
    for (let i = 0; i < 5; i++) assert.equal(await post(`${OLD_TOKEN}-${i}`), 401);
    // The earlier 401 of the old token opened this peer's interval: at most one more line now.
    assert.ok(refused().length <= seen + 1);
    const last = refused().at(-1);
    assert.equal(last?.peer, '127.0.0.1');
    assert.equal(last?.credentials, 'not accepted');
    for (const token of [OLD_TOKEN, NEW_TOKEN]) {
      assert.ok(!raw.some((s) => s.includes(token)), 'a token reached the log');
    }
  });
});

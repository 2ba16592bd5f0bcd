import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry, silentLogger } from '../../packages/runtime/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import { haveOpenssl, makeTestPki, NO_OPENSSL } from '../../test/support/certs.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { type RunningCollector, startCollector } from './index.js';

const TOKEN = 'tls-token-0123456789abcdef';

function post(url: string, dir: string, opts: { token?: string; clientCert?: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    // A fresh agent per request: a resumed TLS session keeps the client certificate it began with.
    const req = request(url, {
      method: 'POST',
      agent: false,
      ca: readFileSync(join(dir, 'ca.crt')),
      ...(opts.clientCert === true
        ? { cert: readFileSync(join(dir, 'client.crt')), key: readFileSync(join(dir, 'client.key')) }
        : {}),
      headers: {
        'content-type': 'application/json',
        ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}),
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end('{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}');
  });
}

describe('the audit webhook over TLS', {
  skip: !haveNatsServer() ? 'nats-server is not installed' : !haveOpenssl() ? NO_OPENSSL : false,
}, () => {
  let nats: NatsServer;
  let dir: string;
  let collector: RunningCollector;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-tls-'));
    makeTestPki(dir);
    nats = await startNatsServer();
    collector = await startCollector(
      {
        cluster: 'tls',
        key: generateKey('collector/tls'),
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: TOKEN,
        tls: {
          certFile: join(dir, 'server.crt'),
          keyFile: join(dir, 'server.key'),
          clientCaFile: join(dir, 'ca.crt'),
        },
      },
      { logger: silentLogger(), registry: new Registry() },
    );
  });
  after(async () => {
    await collector?.close();
    await nats?.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves https', () => assert.match(collector.webhookUrl, /^https:\/\/127\.0\.0\.1:\d+\/$/));
  it('accepts a client certificate without a token', async () => {
    assert.equal(await post(collector.webhookUrl, dir, { clientCert: true }), 200);
  });
  it('accepts the token without a client certificate', async () => {
    assert.equal(await post(collector.webhookUrl, dir, { token: TOKEN }), 200);
  });
  it('answers 401 to neither', async () => {
    assert.equal(await post(collector.webhookUrl, dir, {}), 401);
  });
  it('answers 401 to a wrong token', async () => {
    assert.equal(await post(collector.webhookUrl, dir, { token: 'wrong-token-0123456789abc' }), 401);
  });
});

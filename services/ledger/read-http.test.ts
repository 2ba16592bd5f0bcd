// The read HTTP listener on its own: routing, refusals before any route runs, a failing route
// answered 500 without taking the server down, and TLS and mutual TLS under the gRPC settings
// (read through packages/tiles-client, the client the CLI uses).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { silentLogger } from '../../packages/runtime/index.js';
import { httpFetcher, TilesError } from '../../packages/tiles-client/index.js';
import { haveOpenssl, makeTestPki, NO_OPENSSL } from '../../test/support/certs.js';
import { ledgerMetrics } from './metrics.js';
import { type ReadHttpServer, type ReadRoute, sendText, serveReadHttp } from './read-http.js';

const routes: ReadRoute[] = [
  { prefix: '/a/', name: 'a', handle: (_req, res, rest) => sendText(res, 200, `a:${rest}`) },
  { prefix: '/a/b/', name: 'ab', handle: (_req, res, rest) => sendText(res, 200, `ab:${rest}`) },
  {
    prefix: '/throws/',
    name: 'throws',
    handle: () => {
      throw new Error('secret detail');
    },
  },
  { prefix: '/rejects/', name: 'rejects', handle: async () => Promise.reject(new Error('secret detail')) },
];

function raw(port: number, path: string, method = 'GET', body?: string) {
  return new Promise<{ status: number; text: string; allow?: string }>((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString(),
          ...(res.headers.allow !== undefined ? { allow: res.headers.allow } : {}),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const metrics = () => ledgerMetrics(new Registry(), () => 0).httpRequests;

describe('the read HTTP listener', () => {
  let server: ReadHttpServer;
  let port = 0;
  before(async () => {
    server = await serveReadHttp({
      host: '127.0.0.1',
      port: 0,
      routes,
      logger: silentLogger(),
      requests: metrics(),
    });
    port = Number(new URL(server.url).port);
  });
  after(() => server.close());

  it('routes by the longest prefix and hands over the raw rest of the path', async () => {
    assert.deepEqual(await raw(port, '/a/x/y?q=1'), { status: 200, text: 'a:x/y' });
    assert.deepEqual(await raw(port, '/a/b/c'), { status: 200, text: 'ab:c' });
    assert.deepEqual(await raw(port, '/a/%2e%2e/b'), { status: 200, text: 'a:%2e%2e/b' });
    assert.equal((await raw(port, '/a')).status, 404);
    assert.equal((await raw(port, '/')).status, 404);
    assert.equal((await raw(port, '*')).status, 404);
    assert.equal((await raw(port, '/../a/x')).status, 404);
  });

  it('refuses other methods, bodies and long paths before any route runs', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const r = await raw(port, '/a/x', method);
      assert.equal(r.status, 405, method);
      assert.equal(r.allow, 'GET, HEAD');
    }
    assert.equal((await raw(port, '/a/x', 'GET', 'body')).status, 413);
    assert.equal((await raw(port, `/a/${'x'.repeat(1100)}`)).status, 414);
    assert.equal((await raw(port, '/a/x', 'HEAD')).status, 200);
  });

  it('answers bytes that are not HTTP, and headers over the limit, with a status line and a close', async () => {
    const send = (bytes: string) =>
      new Promise<string>((resolve) => {
        const s = netConnect(port, '127.0.0.1');
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('error', () => undefined);
        s.on('close', () => resolve(got));
        s.write(bytes);
      });
    assert.match(await send('NOT HTTP AT ALL\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(
      await send(`GET /a/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`),
      /^HTTP\/1\.1 431 /,
    );
    assert.equal((await raw(port, '/a/x')).status, 200, 'still serving');
  });

  it('answers 500 without detail when a route throws or rejects, and keeps serving', async () => {
    for (const path of ['/throws/x', '/rejects/x']) {
      const r = await raw(port, path);
      assert.equal(r.status, 500);
      assert.doesNotMatch(r.text, /secret/);
    }
    assert.equal((await raw(port, '/a/ok')).status, 200);
  });
});

describe('the read HTTP listener over TLS', { skip: haveOpenssl() ? false : NO_OPENSSL }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'il-read-tls-'));
    makeTestPki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const pem = (name: string) => readFileSync(join(dir, name));
  const tls = (ca?: boolean) => ({
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    ...(ca === true ? { caFile: join(dir, 'ca.crt') } : {}),
  });

  async function start(mutual: boolean) {
    return serveReadHttp({
      host: '127.0.0.1',
      port: 0,
      tls: tls(mutual),
      routes,
      logger: silentLogger(),
      requests: metrics(),
    });
  }

  it('serves HTTPS with the gRPC certificate, and nothing in plaintext', async () => {
    const s = await start(false);
    try {
      assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const f = httpFetcher(new URL(`${s.url}/a/`), { tls: { ca: pem('ca.crt') } });
      assert.equal(new TextDecoder().decode(await f.fetch('checkpoint', 1024)), 'a:checkpoint');
      f.close();
      const plain = httpFetcher(new URL(`${s.url.replace('https', 'http')}/a/`), { timeoutMs: 5000 });
      await assert.rejects(plain.fetch('checkpoint', 1024), TilesError);
      plain.close();
      const untrusted = httpFetcher(new URL(`${s.url}/a/`), { tls: { ca: pem('rogue-ca.crt') } });
      await assert.rejects(untrusted.fetch('checkpoint', 1024), (e: TilesError) => e.code === 'UNREACHABLE');
      untrusted.close();
    } finally {
      await s.close();
    }
  });

  it('requires a client certificate from the CA under mutual TLS', async () => {
    const s = await start(true);
    try {
      const ok = httpFetcher(new URL(`${s.url}/a/`), {
        tls: { ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') },
      });
      assert.equal(new TextDecoder().decode(await ok.fetch('checkpoint', 1024)), 'a:checkpoint');
      ok.close();
      for (const client of [{}, { cert: pem('rogue-client.crt'), key: pem('rogue-client.key') }]) {
        const refused = httpFetcher(new URL(`${s.url}/a/`), { tls: { ca: pem('ca.crt'), ...client } });
        await assert.rejects(refused.fetch('checkpoint', 1024), TilesError);
        refused.close();
      }
    } finally {
      await s.close();
    }
  });
});

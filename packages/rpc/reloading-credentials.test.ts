// Server credentials that follow their files: a certificate renewed by an atomic symlink swap (as
// cert-manager does to a mounted Secret) is what a new connection sees within seconds, without a
// restart; a renewal that cannot serve is logged and the previous certificate stays.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { haveOpenssl, makeLeaf, makeTestPki, NO_OPENSSL } from '../../test/support/certs.js';
import { fingerprintOf, SecretDir, servedFingerprint, within } from '../../test/support/secret-dir.js';
import { Ledger } from '../proto/index.js';
import { addService, channelCredentials, createClient, listen, reloadingServerCredentials } from './index.js';
import { Probe, testLedger } from './testing.js';

/** Fast, so the test takes well under a second per rotation. */
const INTERVAL_MS = 100;

describe('reloading server credentials', { skip: haveOpenssl() ? false : NO_OPENSSL }, () => {
  let dir = '';
  const f = (name: string) => join(dir, name);
  const logged: { level: string; msg: string }[] = [];
  const logger = {
    info: (_: object, msg: string) => logged.push({ level: 'info', msg }),
    error: (_: object, msg: string) => logged.push({ level: 'error', msg }),
  };
  let secret: SecretDir;
  let server: grpc.Server;
  let port = 0;
  const pair = (name: string) => ({
    'tls.crt': readFileSync(f(`${name}.crt`)),
    'tls.key': readFileSync(f(`${name}.key`)),
    'ca.crt': readFileSync(f('ca.crt')),
  });
  const served = () => servedFingerprint(port, ['h2']);

  async function checkpointStatus(): Promise<grpc.status> {
    const client = createClient(
      Ledger,
      `127.0.0.1:${port}`,
      channelCredentials({ caFile: f('ca.crt'), certFile: f('client.crt'), keyFile: f('client.key') }),
      { 'grpc.ssl_target_name_override': 'localhost' },
    );
    try {
      await client.getCheckpoint({}, { deadline: 3000 });
      return grpc.status.OK;
    } catch (err) {
      return (err as { code: grpc.status }).code;
    } finally {
      client.close();
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rpc-reload-'));
    makeTestPki(dir);
    makeLeaf(dir, 'ca', 'renewed', 'serverAuth');
    secret = new SecretDir(f('secret'));
    secret.publish(pair('server'));
    server = new grpc.Server();
    addService(server, Ledger, testLedger(new Probe()));
    const creds = reloadingServerCredentials(
      { certFile: secret.path('tls.crt'), keyFile: secret.path('tls.key'), caFile: secret.path('ca.crt') },
      { logger, intervalMs: INTERVAL_MS },
    );
    port = await listen(server, '127.0.0.1:0', creds);
  });
  after(() => {
    server?.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the certificate it started with, to a client with a certificate from the CA', async () => {
    assert.equal(await served(), fingerprintOf(f('server.crt')));
    assert.equal(await checkpointStatus(), grpc.status.OK);
  });

  it('serves a renewed certificate to new connections within seconds, without a restart', async () => {
    secret.publish(pair('renewed'));
    const want = fingerprintOf(f('renewed.crt'));
    await within(5000, 'the renewed certificate', async () => (await served()) === want);
    assert.equal(await checkpointStatus(), grpc.status.OK);
    assert.ok(logged.some((l) => l.level === 'info' && /changed/.test(l.msg)));
  });

  for (const [name, files] of [
    ['a certificate that is not PEM', () => ({ ...pair('server'), 'tls.crt': 'not a certificate\n' })],
    ['a key that does not match', () => ({ ...pair('server'), 'tls.key': readFileSync(f('client.key')) })],
  ] as const) {
    it(`keeps the current certificate and logs an error for ${name}`, async () => {
      const before = logged.filter((l) => l.level === 'error').length;
      const current = await served();
      secret.publish(files());
      await within(
        5000,
        'an error logged',
        async () => logged.filter((l) => l.level === 'error').length > before,
      );
      assert.equal(await served(), current);
      assert.equal(await checkpointStatus(), grpc.status.OK);
    });
  }
});

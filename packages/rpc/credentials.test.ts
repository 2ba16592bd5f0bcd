import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { haveOpenssl, makeTestPki, NO_OPENSSL } from '../../test/support/certs.js';
import { Ledger } from '../proto/index.js';
import {
  addService,
  channelCredentials,
  createClient,
  listen,
  RpcError,
  serverCredentials,
  TlsFileError,
  type TlsFiles,
} from './index.js';
import { Probe, testLedger } from './testing.js';

describe('TLS and mutual TLS credentials', { skip: haveOpenssl() ? false : NO_OPENSSL }, () => {
  let dir = '';
  const servers: grpc.Server[] = [];
  const f = (name: string) => join(dir, name);

  async function serve(tls: TlsFiles): Promise<number> {
    const server = new grpc.Server();
    servers.push(server);
    addService(server, Ledger, testLedger(new Probe()));
    return listen(server, '127.0.0.1:0', serverCredentials(tls));
  }

  /** The status of one GetCheckpoint over `creds` (OK when it succeeds). */
  async function call(port: number, creds: grpc.ChannelCredentials): Promise<grpc.status> {
    // The certificates name localhost too; an IP as TLS server name is deprecated (RFC 6066).
    const client = createClient(Ledger, `127.0.0.1:${port}`, creds, {
      'grpc.ssl_target_name_override': 'localhost',
    });
    try {
      await client.getCheckpoint({}, { deadline: 3000 });
      return grpc.status.OK;
    } catch (err) {
      assert.ok(err instanceof RpcError);
      return err.code;
    } finally {
      client.close();
    }
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rpc-tls-'));
    makeTestPki(dir);
  });
  after(() => {
    for (const s of servers) s.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('server TLS (certFile + keyFile)', () => {
    let port = 0;
    before(async () => {
      port = await serve({ certFile: f('server.crt'), keyFile: f('server.key') });
    });

    it('serves a client that trusts the CA', async () => {
      assert.equal(await call(port, channelCredentials({ caFile: f('ca.crt') })), grpc.status.OK);
    });

    it('is UNAVAILABLE to a client that trusts another CA', async () => {
      assert.equal(
        await call(port, channelCredentials({ caFile: f('rogue-ca.crt') })),
        grpc.status.UNAVAILABLE,
      );
    });

    it('is UNAVAILABLE to a plaintext client', async () => {
      assert.equal(await call(port, channelCredentials()), grpc.status.UNAVAILABLE);
    });
  });

  describe('mutual TLS (caFile as well)', () => {
    let port = 0;
    before(async () => {
      port = await serve({ certFile: f('server.crt'), keyFile: f('server.key'), caFile: f('ca.crt') });
    });

    it('serves a client with a certificate from the CA', async () => {
      const creds = channelCredentials({
        caFile: f('ca.crt'),
        certFile: f('client.crt'),
        keyFile: f('client.key'),
      });
      assert.equal(await call(port, creds), grpc.status.OK);
    });

    it('refuses a client without a certificate', async () => {
      assert.equal(await call(port, channelCredentials({ caFile: f('ca.crt') })), grpc.status.UNAVAILABLE);
    });

    it('refuses a client whose certificate another CA signed', async () => {
      const creds = channelCredentials({
        caFile: f('ca.crt'),
        certFile: f('rogue-client.crt'),
        keyFile: f('rogue-client.key'),
      });
      assert.equal(await call(port, creds), grpc.status.UNAVAILABLE);
    });
  });

  describe('configuration errors', () => {
    const isInvalid = (e: unknown) => e instanceof RpcError && e.code === grpc.status.INVALID_ARGUMENT;

    it('refuses a certificate without a key, or a key without a certificate', () => {
      assert.throws(() => serverCredentials({ certFile: f('server.crt') }), isInvalid);
      assert.throws(() => channelCredentials({ keyFile: f('client.key') }), isInvalid);
    });

    it('refuses a server CA file without a server certificate', () => {
      assert.throws(() => serverCredentials({ caFile: f('ca.crt') }), isInvalid);
    });

    it('fails on a missing file, naming no secret', () => {
      assert.throws(
        () => serverCredentials({ certFile: f('absent.crt'), keyFile: f('server.key') }),
        (e: unknown) => e instanceof TlsFileError && e.file === 'certFile' && /ENOENT/.test(e.message),
      );
    });

    it('refuses files that are not PEM, or a key that does not match the certificate', () => {
      assert.throws(
        () => serverCredentials({ certFile: f('server.ext'), keyFile: f('server.key') }),
        isInvalid,
      );
      assert.throws(
        () => serverCredentials({ certFile: f('server.crt'), keyFile: f('server.ext') }),
        isInvalid,
      );
      assert.throws(
        () => serverCredentials({ certFile: f('server.crt'), keyFile: f('client.key') }),
        isInvalid,
      );
      assert.throws(() => channelCredentials({ caFile: f('server.key') }), isInvalid);
    });
  });
});

// The ledger's gRPC API over TLS and mutual TLS from certificate files (--tls-cert-file, --tls-key-file,
// --tls-client-ca-file), reached by the `ingress-ledger checkpoint` command and by packages/rpc
// clients: the right CA works; another CA, a plaintext client, or (under mTLS) a client without a
// certificate or with one from another CA is refused, and the command says why.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { Ledger } from '../packages/proto/index.js';
import { channelCredentials, createClient, RpcError, type TlsFiles } from '../packages/rpc/index.js';
import { silentLogger } from '../packages/runtime/index.js';
import { cli, runCli } from '../services/cli/testing/run-cli.js';
import type { RawSettings } from '../services/ledger/config.js';
import { LedgerError, ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { ledgerSettings, setupKeys } from './ledger-fixtures.js';
import { haveOpenssl, makeTestPki, NO_OPENSSL } from './support/certs.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const skip = !haveNatsServer() ? 'no nats-server' : !haveOpenssl() ? NO_OPENSSL : false;

describe('the ledger gRPC API over TLS', { skip }, () => {
  let nats: NatsServer;
  let pki = '';
  const f = (name: string) => join(pki, name);
  const running: RunningLedger[] = [];
  const dirs: string[] = [];

  /** A ledger with its own log on the shared NATS server, serving gRPC with `tls` flags. */
  async function ledger(name: string, tls: RawSettings): Promise<RunningLedger> {
    const keys = setupKeys(`ledger.test/${name}`, ['c1']);
    dirs.push(keys.dir);
    const l = await startLedger(
      ledgerConfig(
        ledgerSettings(keys, nats.url, {
          'verify-workers': '1',
          search: 'off',
          ...tls,
        }),
      ),
      { logger: silentLogger() },
    );
    running.push(l);
    return l;
  }

  /** The status of one GetCheckpoint by a packages/rpc client with `tls` (OK when it answers). */
  async function call(address: string, tls: TlsFiles): Promise<status> {
    const client = createClient(Ledger, address, channelCredentials(tls));
    try {
      const cp = await client.getCheckpoint({}, { deadline: Date.now() + 5000 });
      assert.match(cp.note, /^ledger\.test\//);
      return status.OK;
    } catch (err) {
      assert.ok(err instanceof RpcError, String(err));
      return err.code;
    } finally {
      client.close();
    }
  }

  before(async () => {
    pki = mkdtempSync(join(tmpdir(), 'il-grpc-tls-'));
    makeTestPki(pki);
    nats = await startNatsServer();
  });
  after(async () => {
    for (const l of running) await l.close();
    await nats?.stop({ removeStore: true });
    for (const d of [pki, ...dirs]) rmSync(d, { recursive: true, force: true });
  });

  describe('with --tls-cert-file and --tls-key-file (TLS)', () => {
    let address = '';
    before(async () => {
      address = (await ledger('tls', { 'tls-cert-file': f('server.crt'), 'tls-key-file': f('server.key') }))
        .grpcAddress;
    });

    it('answers `ingress-ledger checkpoint --tls-ca` with the CA that issued its certificate', async () => {
      // The executable itself, once: its stderr shows any warning Node prints about the TLS setup.
      const r = await runCli(['checkpoint', '--grpc', address, '--tls-ca', f('ca.crt'), '--json']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /"origin":"ledger\.test\/tls"/);
    });

    it('answers by host name too (the certificate names localhost)', async () => {
      const port = address.split(':')[1];
      const r = await cli(['checkpoint', '--grpc', `localhost:${port}`, '--tls-ca', f('ca.crt'), '--json']);
      assert.equal(r.status, 0, r.stderr);
    });

    it('makes `checkpoint` with another CA exit 2, saying the certificate did not verify', async () => {
      const r = await cli([
        'checkpoint',
        '--grpc',
        address,
        '--tls-ca',
        f('rogue-ca.crt'),
        '--timeout',
        '5s',
      ]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /UNAVAILABLE: the ledger's certificate did not verify \(unable to verify/);
    });

    it('makes `checkpoint` without --tls-ca (plaintext) exit 2, pointing at --tls-ca', async () => {
      const r = await cli(['checkpoint', '--grpc', address, '--timeout', '5s']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /UNAVAILABLE: the connection closed while it was being set up.*--tls-ca/);
    });

    it('serves an rpc client that trusts the CA, and no client that does not', async () => {
      assert.equal(await call(address, { caFile: f('ca.crt') }), status.OK);
      assert.equal(await call(address, { caFile: f('rogue-ca.crt') }), status.UNAVAILABLE);
      assert.equal(await call(address, {}), status.UNAVAILABLE);
    });
  });

  describe('with TLS files that cannot work', () => {
    // Functions: the paths exist only once `before` has run.
    const cases: [string, () => RawSettings, RegExp][] = [
      [
        'tls-cert-file',
        () => ({ 'tls-cert-file': f('server.ext'), 'tls-key-file': f('server.key') }),
        /not a PEM certificate/,
      ],
      [
        'tls-key-file',
        () => ({ 'tls-cert-file': f('server.crt'), 'tls-key-file': f('client.key') }),
        /does not match/,
      ],
      [
        'tls-client-ca-file',
        () => ({
          'tls-cert-file': f('server.crt'),
          'tls-key-file': f('server.key'),
          'tls-client-ca-file': f('absent.crt'),
        }),
        /ENOENT/,
      ],
      [
        'tls-client-ca-file',
        () => ({
          'tls-cert-file': f('server.crt'),
          'tls-key-file': f('server.key'),
          'tls-client-ca-file': f('ca.key'),
        }),
        /not a PEM certificate/,
      ],
    ];
    for (const [flag, tls, why] of cases) {
      it(`stops with a CONFIG error naming --${flag} (${why.source})`, async () => {
        await assert.rejects(ledger('bad', tls()), (err: unknown) => {
          assert.ok(err instanceof LedgerError, String(err));
          assert.equal(err.code, 'CONFIG');
          assert.match(err.message, new RegExp(`^--${flag}: `));
          assert.match(err.message, why);
          return true;
        });
      });
    }
  });

  describe('with --tls-client-ca-file as well (mutual TLS)', () => {
    let address = '';
    before(async () => {
      address = (
        await ledger('mtls', {
          'tls-cert-file': f('server.crt'),
          'tls-key-file': f('server.key'),
          'tls-client-ca-file': f('ca.crt'),
        })
      ).grpcAddress;
    });

    const withCert = (name: string) => ['--tls-cert', f(`${name}.crt`), '--tls-key', f(`${name}.key`)];

    it('answers `checkpoint` with a client certificate from that CA', async () => {
      const r = await cli(['checkpoint', '--grpc', address, '--tls-ca', f('ca.crt'), ...withCert('client')]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /ledger\.test\/mtls/);
    });

    it('refuses `checkpoint` without a client certificate, saying so', async () => {
      const r = await cli(['checkpoint', '--grpc', address, '--tls-ca', f('ca.crt'), '--timeout', '5s']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /UNAVAILABLE: the ledger refused the client certificate \(.*\).*--tls-cert/);
    });

    it('refuses `checkpoint` with a client certificate from another CA', async () => {
      const r = await cli([
        'checkpoint',
        '--grpc',
        address,
        '--tls-ca',
        f('ca.crt'),
        ...withCert('rogue-client'),
        '--timeout',
        '5s',
      ]);
      assert.equal(r.status, 2);
      // TLS 1.3 lets the client finish its handshake first, so the refusal may arrive as an alert
      // or only as the connection closing.
      assert.match(r.stderr, /UNAVAILABLE: the (ledger refused the client certificate|connection closed)/);
    });

    it('serves an rpc client with a certificate from the CA, and refuses the others', async () => {
      const ca = f('ca.crt');
      const client = { caFile: ca, certFile: f('client.crt'), keyFile: f('client.key') };
      const rogue = { caFile: ca, certFile: f('rogue-client.crt'), keyFile: f('rogue-client.key') };
      assert.equal(await call(address, client), status.OK);
      assert.equal(await call(address, { caFile: ca }), status.UNAVAILABLE);
      assert.equal(await call(address, rogue), status.UNAVAILABLE);
    });
  });
});

// connectNats against real nats-servers that require each kind of credential the services accept
// (user and password, an nkey, a .creds file in operator mode), TLS verified against a CA file, and
// mutual TLS. Each accepted connection must also be able to use JetStream, as the services do.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { nkeys } from '@nats-io/nats-core';
import { haveOpenssl, makeTestPki, NO_OPENSSL } from '../../test/support/certs.js';
import { operatorSetup, userNkey } from '../../test/support/nats-auth.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { connectNats, type NatsConfig, NatsError, type NatsSetting, natsConnectionOptions } from './nats.js';
import { CHANGES_STREAM, ensureStreams } from './streams.js';

const skip = !haveNatsServer() ? 'no nats-server' : !haveOpenssl() ? NO_OPENSSL : false;

/** Connects, creates the streams and reads one back; then closes. */
async function connectAndUseJetStream(c: NatsConfig): Promise<void> {
  const nc = await connectNats(c);
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm);
    assert.equal((await jsm.streams.info(CHANGES_STREAM)).config.name, CHANGES_STREAM);
  } finally {
    await nc.close();
  }
}

/** Asserts that connecting fails with NatsError CONNECT whose message matches `why`, quickly. */
async function refused(c: NatsConfig, why: RegExp): Promise<void> {
  const started = Date.now();
  await assert.rejects(connectNats(c), (err: unknown) => {
    assert.ok(err instanceof NatsError, String(err));
    assert.equal(err.code, 'CONNECT');
    assert.match(err.message, why);
    return true;
  });
  // Well under the client's 20 s connect timeout: the cause is reported, not waited out.
  assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
}

/** Asserts that `c` is refused before any connection, naming `setting`. */
function badSetting(c: NatsConfig, setting: NatsSetting, why: RegExp): void {
  assert.throws(
    () => natsConnectionOptions(c),
    (err: unknown) =>
      err instanceof NatsError && err.code === 'CONFIG' && err.setting === setting && why.test(err.message),
  );
}

describe('NATS connections with credentials and TLS', { skip }, () => {
  let dir = '';
  const f = (name: string) => join(dir, name);
  const servers: NatsServer[] = [];
  async function server(config: string): Promise<NatsServer> {
    const s = await startNatsServer({ config });
    servers.push(s);
    return s;
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'il-nats-auth-'));
    makeTestPki(dir);
  });
  after(async () => {
    for (const s of servers) await s.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  });

  describe('user and password', () => {
    let url = '';
    before(async () => {
      url = (await server('authorization { users = [ { user: ledger, password: "pw-0123456789" } ] }\n')).url;
    });

    it('connects with the right password and uses JetStream', async () => {
      await connectAndUseJetStream({ url, user: 'ledger', password: 'pw-0123456789' });
    });
    it('is refused with a wrong password, or with none', async () => {
      await refused({ url, user: 'ledger', password: 'wrong' }, /^NATS nats:\/\/.*: Authorization Violation/);
      await refused({ url }, /Authorization Violation/);
    });
    it('needs the user and the password together', () => {
      badSetting({ url, user: 'ledger' }, 'user', /go together/);
      badSetting({ url, password: 'pw' }, 'password', /go together/);
    });
  });

  describe('nkey seed file', () => {
    let url = '';
    const user = userNkey();
    before(async () => {
      url = (await server(`authorization { users = [ { nkey: ${user.publicKey} } ] }\n`)).url;
      writeFileSync(f('ledger.nk'), `${user.seed}\n`, { mode: 0o600 });
      writeFileSync(f('other.nk'), userNkey().seed);
      writeFileSync(f('not-a-seed.nk'), 'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTAAA\n');
      writeFileSync(f('account.nk'), nkeys.createAccount().getSeed());
    });

    it('connects with the seed of a listed user and uses JetStream', async () => {
      await connectAndUseJetStream({ url, nkeySeedFile: f('ledger.nk') });
    });
    it('is refused with the seed of another user', async () => {
      await refused({ url, nkeySeedFile: f('other.nk') }, /Authorization Violation/);
    });
    it('refuses a file that holds no seed, or is missing, before connecting', () => {
      badSetting({ url, nkeySeedFile: f('not-a-seed.nk') }, 'nkeySeedFile', /does not hold an nkey seed/);
      badSetting({ url, nkeySeedFile: f('ca.crt') }, 'nkeySeedFile', /does not hold an nkey seed/);
      badSetting({ url, nkeySeedFile: f('account.nk') }, 'nkeySeedFile', /not a user's/);
      badSetting(
        { url, nkeySeedFile: f('absent.nk') },
        'nkeySeedFile',
        /cannot read .*absent\.nk \(ENOENT\)/,
      );
    });
  });

  describe('creds file (operator mode, memory resolver)', () => {
    let url = '';
    before(async () => {
      const op = operatorSetup();
      url = (await server(op.serverConfig)).url;
      writeFileSync(f('ledger.creds'), op.userCreds, { mode: 0o600 });
      writeFileSync(f('stranger.creds'), op.strangerCreds);
      writeFileSync(f('junk.creds'), 'not a creds file\n');
    });

    it('connects as a user of the account and uses JetStream', async () => {
      await connectAndUseJetStream({ url, credsFile: f('ledger.creds') });
    });
    it('is refused for a user an unknown account issued', async () => {
      await refused({ url, credsFile: f('stranger.creds') }, /Authorization Violation/);
    });
    it('refuses a file that is not a .creds file before connecting', () => {
      badSetting({ url, credsFile: f('junk.creds') }, 'credsFile', /is not a NATS \.creds file/);
    });
    it('takes one kind of credential only', () => {
      badSetting(
        { url, credsFile: f('ledger.creds'), nkeySeedFile: f('ledger.nk') },
        'credsFile',
        /give one of/,
      );
    });
  });

  describe('TLS verified against a CA file', () => {
    let url = '';
    let plainUrl = '';
    before(async () => {
      const tls = `tls { cert_file: "${f('server.crt')}", key_file: "${f('server.key')}" }\n`;
      url = (await server(tls)).url;
      plainUrl = (await server('')).url;
    });

    it('connects when the CA file issued the server certificate, and uses JetStream', async () => {
      await connectAndUseJetStream({ url, tlsCaFile: f('ca.crt') });
      await connectAndUseJetStream({ url: url.replace('nats://', 'tls://'), tlsCaFile: f('ca.crt') });
    });
    it('is refused when the CA file is another CA, saying the certificate did not verify', async () => {
      await refused({ url, tlsCaFile: f('rogue-ca.crt') }, /the server's certificate did not verify/);
    });
    it('verifies against the system roots with tls:// and no CA file (so a private CA fails)', async () => {
      await refused({ url: url.replace('nats://', 'tls://') }, /the server's certificate did not verify/);
    });
    it('never falls back to plaintext when TLS is asked for', async () => {
      await refused({ url: plainUrl, tlsCaFile: f('ca.crt') }, /server does not support 'tls'/);
      await refused({ url: plainUrl.replace('nats://', 'tls://') }, /server does not support 'tls'/);
    });
    it('refuses a CA file that is not a PEM certificate before connecting', () => {
      badSetting({ url, tlsCaFile: f('ca.key') }, 'tlsCaFile', /is not a PEM certificate/);
    });
  });

  describe('mutual TLS (the server verifies client certificates)', () => {
    let url = '';
    before(async () => {
      url = (
        await server(
          `tls { cert_file: "${f('server.crt')}", key_file: "${f('server.key')}", ca_file: "${f('ca.crt')}", verify: true }\n`,
        )
      ).url;
    });
    const ca = () => f('ca.crt');

    it('connects with a client certificate from the CA, and uses JetStream', async () => {
      await connectAndUseJetStream({
        url,
        tlsCaFile: ca(),
        tlsCertFile: f('client.crt'),
        tlsKeyFile: f('client.key'),
      });
    });
    it('is refused without a client certificate, at once and saying why', async () => {
      await refused(
        { url, tlsCaFile: ca() },
        /refused the client certificate|reset the connection during TLS/,
      );
    });
    it('is refused with a client certificate from another CA', async () => {
      await refused(
        { url, tlsCaFile: ca(), tlsCertFile: f('rogue-client.crt'), tlsKeyFile: f('rogue-client.key') },
        /refused the client certificate|reset the connection during TLS/,
      );
    });
    it('needs the client certificate and key together', () => {
      badSetting({ url, tlsCertFile: f('client.crt') }, 'tlsKeyFile', /go together/);
      badSetting({ url, tlsKeyFile: f('client.key') }, 'tlsCertFile', /go together/);
      badSetting(
        { url, tlsCertFile: f('client.key'), tlsKeyFile: f('client.key') },
        'tlsCertFile',
        /is not a PEM certificate/,
      );
    });
  });
});

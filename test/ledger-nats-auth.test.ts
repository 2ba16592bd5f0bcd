// The ledger on a NATS server that requires credentials and TLS, configured by its --nats-* flags:
// for each kind of credential it connects, creates its streams and consumer, ingests a signed
// change and publishes a checkpoint. Settings that cannot work stop it with the flag named, and
// refused credentials with the server's reason, before anything is left half-started.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import {
  changesSubject,
  connectNats,
  NatsError,
  SettingsError,
  silentLogger,
} from '../packages/runtime/index.js';
import type { RawSettings } from '../services/ledger/config.js';
import { ledgerConfig, startLedger } from '../services/ledger/index.js';
import { ledgerSettings, makeChange, setupKeys, signChange } from './ledger-fixtures.js';
import { haveOpenssl, makeTestPki, NO_OPENSSL } from './support/certs.js';
import { operatorSetup, userNkey } from './support/nats-auth.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const skip = !haveNatsServer() ? 'no nats-server' : !haveOpenssl() ? NO_OPENSSL : false;

describe('the ledger on an authenticated NATS server over TLS', { skip }, () => {
  let dir = '';
  const f = (name: string) => join(dir, name);
  const servers: NatsServer[] = [];
  const tls = () => `tls { cert_file: "${f('server.crt')}", key_file: "${f('server.key')}" }\n`;
  const mtls = () =>
    `tls { cert_file: "${f('server.crt')}", key_file: "${f('server.key')}", ca_file: "${f('ca.crt')}", verify: true }\n`;
  const clientCert = (): RawSettings => ({
    'nats-ca-file': f('ca.crt'),
    'nats-cert-file': f('client.crt'),
    'nats-key-file': f('client.key'),
  });

  async function server(config: string): Promise<NatsServer> {
    const s = await startNatsServer({ config });
    servers.push(s);
    return s;
  }

  /** The ledger's settings for a fresh log on `url`, plus `nats` flags. */
  function settings(name: string, url: string, nats: RawSettings) {
    const keys = setupKeys(`ledger.test/${name}`, ['c1']);
    const raw = ledgerSettings(keys, url, {
      'checkpoint-interval': '20ms',
      'batch-age': '5ms',
      'verify-workers': '1',
      search: 'off',
      ...nats,
    });
    return { keys, raw };
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'il-ledger-nats-auth-'));
    makeTestPki(dir);
    writeFileSync(f('right.pw'), 'pw-0123456789\n', { mode: 0o600 });
    writeFileSync(f('wrong.pw'), 'wrong\n', { mode: 0o600 });
    writeFileSync(f('empty.pw'), '\n', { mode: 0o600 });
  });
  after(async () => {
    for (const s of servers) await s.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, () => Promise<{ url: string; nats: RawSettings }>][] = [
    [
      'user and password, TLS verified against --nats-ca-file',
      async () => {
        const users = 'authorization { users = [ { user: ledger, password: "pw-0123456789" } ] }\n';
        const s = await server(tls() + users);
        return {
          url: s.url,
          nats: { 'nats-user': 'ledger', 'nats-password-file': f('right.pw'), 'nats-ca-file': f('ca.crt') },
        };
      },
    ],
    [
      'an nkey seed file, mutual TLS',
      async () => {
        const user = userNkey();
        writeFileSync(f('ledger.nk'), `${user.seed}\n`, { mode: 0o600 });
        const s = await server(`${mtls()}authorization { users = [ { nkey: ${user.publicKey} } ] }\n`);
        return { url: s.url, nats: { 'nats-nkey-file': f('ledger.nk'), ...clientCert() } };
      },
    ],
    [
      'a .creds file in operator mode, mutual TLS, tls:// URL',
      async () => {
        const op = operatorSetup();
        writeFileSync(f('ledger.creds'), op.userCreds, { mode: 0o600 });
        const s = await server(mtls() + op.serverConfig);
        return {
          url: s.url.replace('nats://', 'tls://'),
          nats: { 'nats-creds-file': f('ledger.creds'), ...clientCert() },
        };
      },
    ],
  ];

  for (const [name, setup] of cases) {
    it(`ingests and publishes checkpoints with ${name}`, async () => {
      const { url, nats } = await setup();
      const { keys, raw } = settings('auth', url, nats);
      const config = ledgerConfig(raw);
      const ledger = await startLedger(config, { logger: silentLogger() });
      // A collector's connection with the same credentials publishes one signed change.
      const nc = await connectNats(config.nats);
      const client = createClient(Ledger, ledger.grpcAddress);
      try {
        const leaf = signChange(makeChange('c1', 'auth-1'), keys.collectors.get('c1')!);
        const ack = await jetstream(nc).publish(changesSubject('c1'), leaf, { msgID: 'c1/auth-1' });
        assert.equal(ack.duplicate, false);
        const deadline = Date.now() + 5000;
        while ((await client.getCheckpoint({})).size < 1n) {
          assert.ok(Date.now() < deadline, 'the change was not ingested within 5 s');
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        client.close();
        await nc.close();
        await ledger.close();
        rmSync(keys.dir, { recursive: true, force: true });
      }
    });
  }

  describe('when the NATS settings cannot work', () => {
    let url = '';
    before(async () => {
      const users = 'authorization { users = [ { user: ledger, password: "pw-0123456789" } ] }\n';
      url = (await server(mtls() + users)).url;
      writeFileSync(f('junk.nk'), 'not a seed\n');
    });

    // Functions: the paths exist only once `before` has run.
    const badFlags: [string, () => RawSettings][] = [
      ['nats-nkey-file', () => ({ 'nats-nkey-file': f('junk.nk') })],
      ['nats-creds-file', () => ({ 'nats-creds-file': f('absent.creds') })],
      ['nats-key-file', () => ({ 'nats-ca-file': f('ca.crt'), 'nats-cert-file': f('client.crt') })],
      ['nats-ca-file', () => ({ 'nats-ca-file': f('client.key') })],
      ['nats-password-file', () => ({ 'nats-password-file': f('right.pw') })],
      ['nats-password-file', () => ({ 'nats-user': 'ledger', 'nats-password-file': f('absent.pw') })],
      ['nats-password-file', () => ({ 'nats-user': 'ledger', 'nats-password-file': f('empty.pw') })],
    ];
    for (const [flag, nats] of badFlags) {
      it(`stops with a CONFIG error naming --${flag} (${Object.values(nats()).join(', ')})`, () => {
        const { keys, raw } = settings('bad', url, nats());
        try {
          assert.throws(
            () => ledgerConfig(raw),
            (err: unknown) => {
              assert.ok(err instanceof SettingsError);
              assert.equal(err.code, 'CONFIG');
              assert.match(err.message, new RegExp(`^--${flag}: `));
              return true;
            },
          );
        } finally {
          rmSync(keys.dir, { recursive: true, force: true });
        }
      });
    }

    it('stops with the reason when the server refuses the credentials, and can start again', async () => {
      const good: RawSettings = {
        'nats-user': 'ledger',
        'nats-password-file': f('right.pw'),
        ...clientCert(),
      };
      const { keys, raw } = settings('refused', url, { ...good, 'nats-password-file': f('wrong.pw') });
      try {
        await assert.rejects(startLedger(ledgerConfig(raw), { logger: silentLogger() }), (err: unknown) => {
          assert.ok(err instanceof NatsError, String(err));
          assert.match(err.message, /Authorization Violation/);
          return true;
        });
        // Nothing was left holding the data dir: the same log starts with the right password.
        const ledger = await startLedger(ledgerConfig({ ...raw, ...good }), { logger: silentLogger() });
        await ledger.close();
      } finally {
        rmSync(keys.dir, { recursive: true, force: true });
      }
    });
  });
});

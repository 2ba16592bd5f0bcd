// `keys generate --k8s-secret`: the Secret manifest parses back to the key files' exact bytes, and
// names Kubernetes would refuse are refused first (exit 2).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { natsConfigFrom, Settings } from '../../packages/runtime/index.js';
import { parseSkey, parseVkey } from '../../packages/tlog/index.js';
import { isNamespace, isSecretDataKey, isSecretName } from './key-secret.js';
import { cli, jsonLines } from './testing/run-cli.js';

interface SecretManifest {
  apiVersion: string;
  kind: string;
  type: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data: Record<string, string>;
}

describe('keys generate --k8s-secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-key-secret-'));

  it('writes PREFIX.secret.yaml (mode 0600) whose data are the key files, base64', async () => {
    const out = join(dir, 'collector');
    const r = await cli([
      'keys',
      'generate',
      '--name',
      'collector/prod-eu1',
      '--out',
      out,
      '--k8s-secret',
      'ingress-ledger-collector-key',
      '--namespace',
      'ingress-ledger',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(jsonLines(r.stdout)[0]?.secretFile, `${out}.secret.yaml`);
    assert.equal(statSync(`${out}.secret.yaml`).mode & 0o777, 0o600);
    const secret = parse(readFileSync(`${out}.secret.yaml`, 'utf8')) as SecretManifest;
    assert.equal(secret.apiVersion, 'v1');
    assert.equal(secret.kind, 'Secret');
    assert.equal(secret.type, 'Opaque');
    assert.equal(secret.metadata.name, 'ingress-ledger-collector-key');
    assert.equal(secret.metadata.namespace, 'ingress-ledger');
    assert.deepEqual(Object.keys(secret.data), ['collector.key', 'collector.vkey']);
    for (const file of ['collector.key', 'collector.vkey']) {
      assert.deepEqual(Buffer.from(secret.data[file] ?? '', 'base64'), readFileSync(join(dir, file)), file);
    }
    const skey = parseSkey(
      Buffer.from(secret.data['collector.key'] ?? '', 'base64')
        .toString()
        .trim(),
    );
    assert.equal(parseVkey(readFileSync(`${out}.vkey`, 'utf8').trim()).vkey, skey.vkey);
  });

  it('leaves the namespace out unless given', async () => {
    const out = join(dir, 'witness');
    const r = await cli([
      'keys',
      'generate',
      '--name',
      'w.example',
      '--out',
      out,
      '--k8s-secret',
      'w',
      '--witness',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const secret = parse(readFileSync(`${out}.secret.yaml`, 'utf8')) as SecretManifest;
    assert.equal(secret.metadata.namespace, undefined);
    assert.equal(
      Buffer.from(secret.data['witness.vkey'] ?? '', 'base64').toString(),
      readFileSync(`${out}.vkey`, 'utf8'),
    );
  });

  it('exits 2 for a name Kubernetes would refuse, writing nothing', async () => {
    const cases: string[][] = [
      ['--k8s-secret', 'Upper'],
      ['--k8s-secret', 'under_score'],
      ['--k8s-secret', '-dash-first'],
      ['--k8s-secret', 'a'.repeat(254)],
      ['--k8s-secret', ''],
      ['--k8s-secret', 'ok', '--namespace', 'dots.not.allowed'],
      ['--k8s-secret', 'ok', '--namespace', 'n'.repeat(64)],
      ['--namespace', 'ns'],
    ];
    for (const extra of cases) {
      const out = join(dir, 'refused');
      const r = await cli(['keys', 'generate', '--name', 'x', '--out', out, ...extra]);
      assert.equal(r.status, 2, extra.join(' '));
      assert.equal(existsSync(`${out}.key`), false, extra.join(' '));
    }
  });

  it('exits 2 when the prefix cannot name the data, or the manifest exists', async () => {
    const r = await cli(['keys', 'generate', '--name', 'x', '--out', join(dir, 'a b'), '--k8s-secret', 's']);
    assert.equal(r.status, 2);
    const again = await cli([
      'keys',
      'generate',
      '--name',
      'x',
      '--out',
      join(dir, 'collector'),
      '--k8s-secret',
      's',
    ]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /exists/);
  });
});

describe('Kubernetes names', () => {
  const table: [(s: string) => boolean, string, boolean][] = [
    [isSecretName, 'ingress-ledger.collector-1', true],
    [isSecretName, 'a', true],
    [isSecretName, 'a'.repeat(253), true],
    [isSecretName, 'a'.repeat(254), false],
    [isSecretName, 'a..b', false],
    [isSecretName, 'a-', false],
    [isSecretName, 'A', false],
    [isNamespace, 'ingress-ledger', true],
    [isNamespace, 'a.b', false],
    [isNamespace, 'n'.repeat(63), true],
    [isNamespace, 'n'.repeat(64), false],
    [isSecretDataKey, 'collector.key', true],
    [isSecretDataKey, 'Collector_1.vkey', true],
    [isSecretDataKey, '..', false],
    [isSecretDataKey, 'a/b', false],
    [isSecretDataKey, 'a b', false],
  ];
  for (const [check, name, ok] of table) {
    it(`${check.name}(${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name)}) is ${ok}`, () =>
      assert.equal(check(name), ok));
  }
});

describe('keys nats-user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-nats-user-'));

  it('writes a seed (0600) a service can log in with, its public key, and the seed as a Secret', async () => {
    const out = join(dir, 'ledger');
    const r = await cli([
      'keys',
      'nats-user',
      '--out',
      out,
      '--k8s-secret',
      'ingress-ledger-nats-ledger-nkey',
      '--namespace',
      'ingress-ledger',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const result = jsonLines(r.stdout)[0] as { publicKey: string; seedFile: string; secretFile: string };
    assert.match(result.publicKey, /^U[A-Z2-7]{55}$/);
    assert.equal(statSync(`${out}.nk`).mode & 0o777, 0o600);
    assert.equal(statSync(`${out}.secret.yaml`).mode & 0o777, 0o600);
    assert.equal(readFileSync(`${out}.pub`, 'utf8'), `${result.publicKey}\n`);
    // The seed file passes the services' own check of --nats-nkey-file (a user seed, SU…).
    const config = natsConfigFrom(Settings.of({ 'nats-nkey-file': `${out}.nk` }));
    assert.equal(config.nkeySeedFile, `${out}.nk`);
    const secret = parse(readFileSync(`${out}.secret.yaml`, 'utf8')) as SecretManifest;
    assert.equal(secret.metadata.name, 'ingress-ledger-nats-ledger-nkey');
    assert.deepEqual(Object.keys(secret.data), ['seed']);
    assert.equal(Buffer.from(secret.data.seed ?? '', 'base64').toString(), readFileSync(`${out}.nk`, 'utf8'));
  });

  it('refuses to overwrite without --force, and a bad Secret name, with exit 2', async () => {
    const out = join(dir, 'again');
    assert.equal((await cli(['keys', 'nats-user', '--out', out])).status, 0);
    const again = await cli(['keys', 'nats-user', '--out', out]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /exists; pass --force/);
    const badName = await cli(['keys', 'nats-user', '--out', join(dir, 'x'), '--k8s-secret', 'Bad_Name']);
    assert.equal(badName.status, 2);
    assert.equal(existsSync(join(dir, 'x.nk')), false);
  });
});

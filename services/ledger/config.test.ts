import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configFromSources } from './command.js';
import { DEFAULT_GRPC_LISTEN, ledgerConfig, type RawSettings } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'il-ledger-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const base: RawSettings = { 'data-dir': dir, key: 'k', 'collector-keys': 'c' };

describe('ledger configuration', () => {
  it('applies documented defaults', () => {
    const c = ledgerConfig(base);
    assert.equal(c.grpcListen, DEFAULT_GRPC_LISTEN);
    assert.equal(c.checkpointIntervalMs, 50);
    assert.equal(c.search, true);
  });

  it('takes a console URL for the links in alerts', () => {
    assert.equal(
      ledgerConfig({ ...base, 'console-url': 'https://console.example/ui' }).consoleUrl,
      'https://console.example/ui',
    );
    assert.equal(ledgerConfig(base).consoleUrl, undefined);
  });

  it('binds loopback unless told otherwise', () => {
    assert.match(DEFAULT_GRPC_LISTEN, /^127\.0\.0\.1:/);
    const c = ledgerConfig({ ...base, 'grpc-listen': ':7443', 'metrics-listen': ':9464' });
    assert.equal(c.grpcListen, '127.0.0.1:7443');
    assert.equal(c.metricsListen, '127.0.0.1:9464');
  });

  const bad: [string, RawSettings][] = [
    ['data-dir', { key: 'k', 'collector-keys': 'c' }],
    ['key', { 'data-dir': dir, 'collector-keys': 'c' }],
    ['collector-keys', { 'data-dir': dir, key: 'k' }],
    ['batch-size', { ...base, 'batch-size': '0' }],
    ['batch-size', { ...base, 'batch-size': '1e3' }],
    ['batch-size', { ...base, 'batch-size': '99999999' }],
    ['batch-age', { ...base, 'batch-age': '-5ms' }],
    ['batch-age', { ...base, 'batch-age': '5d' }],
    ['checkpoint-interval', { ...base, 'checkpoint-interval': '1ms' }],
    ['checkpoint-interval', { ...base, 'checkpoint-interval': '0250ms' }],
    ['ack-wait', { ...base, 'ack-wait': '10ms' }],
    ['grpc-listen', { ...base, 'grpc-listen': 'localhost' }],
    ['grpc-listen', { ...base, 'grpc-listen': '127.0.0.1:70000' }],
    ['metrics-listen', { ...base, 'metrics-listen': ':x' }],
    ['verify-workers', { ...base, 'verify-workers': '1000' }],
    ['search', { ...base, search: 'yes' }],
    ['tls-key-file', { ...base, 'tls-key-file': 'k.pem' }],
    ['tls-cert-file', { ...base, 'tls-cert-file': 'c.pem' }],
    ['tls-client-ca-file', { ...base, 'tls-client-ca-file': 'ca.pem' }],
    ['export-to', { ...base, 'export-to': 'http://example.com/tiles' }],
    ['export-to', { ...base, 'export-to': 's3://UPPER/x' }],
    ['export-to', { ...base, 'export-to': 's3://bucket/../x' }],
    ['export-object-lock', { ...base, 'export-object-lock': 'compliance' }],
    [
      'export-object-lock',
      { ...base, 'export-to': 's3://bucket/p', 'export-object-lock': 'forever', 'export-retain': '7y' },
    ],
    [
      'export-object-lock',
      { ...base, 'export-to': '/tmp/x', 'export-object-lock': 'compliance', 'export-retain': '7y' },
    ],
    ['export-object-lock', { ...base, 'export-to': 's3://bucket/p', 'export-object-lock': 'compliance' }],
    [
      'export-retain',
      {
        ...base,
        'export-to': 's3://bucket/p',
        'export-object-lock': 'compliance',
        'export-retain': '7 years',
      },
    ],
    [
      'export-retain',
      { ...base, 'export-to': 's3://bucket/p', 'export-object-lock': 'compliance', 'export-retain': '0d' },
    ],
    ['export-interval', { ...base, 'export-to': '/tmp/x', 'export-interval': '1ms' }],
    ['changes-max-bytes', { ...base, 'changes-max-bytes': '1000' }],
    ['rejected-max-age', { ...base, 'rejected-max-age': '1s' }],
    ['console-url', { ...base, 'console-url': 'console.example' }],
    ['console-url', { ...base, 'console-url': 'javascript:alert(1)' }],
    ['console-url', { ...base, 'console-url': 'https://user:pw@console.example/' }],
  ];
  for (const [flag, s] of bad) {
    it(`names --${flag} when it is ${JSON.stringify(s[flag as keyof RawSettings] ?? 'missing')}`, () => {
      assert.throws(() => ledgerConfig(s), { code: 'CONFIG', message: new RegExp(`^--${flag}:`) });
    });
  }

  it('reads the export settings', () => {
    const c = ledgerConfig({
      ...base,
      'export-to': 's3://bucket-1/prod/',
      'export-object-lock': 'governance',
      'export-retain': '30d',
      'export-interval': '5s',
    });
    assert.deepEqual(c.export?.to, { kind: 's3', bucket: 'bucket-1', prefix: 'prod' });
    assert.equal(c.export?.objectLock?.mode, 'GOVERNANCE');
    assert.equal(c.export?.intervalMs, 5000);
    const at = new Date('2026-01-01T00:00:00Z');
    assert.equal(c.export?.objectLock?.retainUntil(at).toISOString(), '2026-01-31T00:00:00.000Z');
    assert.equal(ledgerConfig(base).export, undefined);
  });

  it('takes flags over env vars over the config file', () => {
    const file = join(dir, 'ledger.yaml');
    writeFileSync(file, `data-dir: ${dir}\nkey: from-file\ncollector-keys: c\nbatch-size: 7\norigin: file\n`);
    const env = { INGRESS_LEDGER_KEY: 'from-env', INGRESS_LEDGER_BATCH_SIZE: '8' };
    const c = configFromSources({ config: file, batchSize: '9' }, env);
    assert.equal(c.keyFile, 'from-env');
    assert.equal(c.batchSize, 9);
    assert.equal(c.origin, 'file');
  });

  const badFiles: [string, string][] = [
    ['unknown setting', 'nope: 1\n'],
    ['a list', '- a\n'],
    ['a nested value', 'key:\n  a: 1\n'],
    ['bad YAML', 'key: [\n'],
  ];
  for (const [name, text] of badFiles) {
    it(`refuses a config file with ${name}`, () => {
      const file = join(dir, `bad-${name.replaceAll(' ', '-')}.yaml`);
      writeFileSync(file, text);
      assert.throws(() => configFromSources({ config: file }, {}), { code: 'CONFIG', message: /^--config:/ });
    });
  }

  it('exits 2 naming the flag when run with a bad value', () => {
    const main = new URL('./main.js', import.meta.url).pathname;
    const r = spawnSync(
      process.execPath,
      [main, '--data-dir', dir, '--key', 'k', '--collector-keys', 'c', '--batch-size', 'many'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--batch-size/);
  });
});

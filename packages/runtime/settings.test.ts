// The settings system every service uses: precedence of the sources, the typed readers, and hostile
// config files. Each service's own table is tested with its command; the cross-service rule (the
// same setting has the same name everywhere) is tested in test/settings-names.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  envName,
  loadSettings,
  readConfigFile,
  Settings,
  SettingsError,
  settingsCommand,
} from './settings.js';

const TABLE = [
  { name: 'data-dir', help: 'dir' },
  { name: 'batch-size', help: 'n' },
  { name: 'batch-age', help: 'duration' },
  { name: 'resources', help: 'list', multiple: 'comma' },
  { name: 'log', help: 'repeatable', multiple: 'repeat' },
  { name: 'token-file', help: 'secret' },
  { name: 'listen', help: 'host:port' },
  { name: 'search', help: 'on|off' },
] as const;

const dir = mkdtempSync(join(tmpdir(), 'il-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

function configError(flag: string, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SettingsError, String(err));
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.setting, flag);
    assert.match(err.message, new RegExp(`^--${flag}: `));
    if (message !== undefined) assert.match(err.message, message);
    return true;
  };
}

describe('settings sources', () => {
  it('names the environment variable of a setting', () => {
    assert.equal(envName('nats-password-file'), 'INGRESS_LEDGER_NATS_PASSWORD_FILE');
  });

  it('takes flags over environment variables over the config file', () => {
    const config = file('p.yaml', 'data-dir: /from/file\nbatch-size: 7\nbatch-age: 5s\n');
    const s = loadSettings(
      TABLE,
      { config, batchSize: '9' },
      { INGRESS_LEDGER_BATCH_SIZE: '8', INGRESS_LEDGER_BATCH_AGE: '6s' },
    );
    assert.equal(s.get('data-dir'), '/from/file');
    assert.equal(s.integer('batch-size', 1, 1, 100), 9);
    assert.equal(s.duration('batch-age', 0, 0), 6000);
  });

  it('finds the config file through INGRESS_LEDGER_CONFIG', () => {
    const config = file('env.yaml', 'data-dir: /via/env\n');
    assert.equal(loadSettings(TABLE, {}, { INGRESS_LEDGER_CONFIG: config }).get('data-dir'), '/via/env');
  });

  it('ignores empty environment variables', () => {
    assert.equal(loadSettings(TABLE, {}, { INGRESS_LEDGER_DATA_DIR: '' }).get('data-dir'), undefined);
  });

  it('says where a bad value came from when it was not a flag', () => {
    const fromEnv = loadSettings(TABLE, {}, { INGRESS_LEDGER_BATCH_SIZE: 'many' });
    assert.throws(
      () => fromEnv.integer('batch-size', 1, 1, 10),
      configError('batch-size', /from INGRESS_LEDGER_BATCH_SIZE/),
    );
    const fromFile = loadSettings(TABLE, { config: file('bad-size.yaml', 'batch-size: many\n') }, {});
    assert.throws(() => fromFile.integer('batch-size', 1, 1, 10), configError('batch-size', /--config file/));
  });

  it('joins YAML lists: commas for a list, lines for a repeatable setting', () => {
    const config = file('lists.yaml', 'resources: [a.b, c.d]\nlog:\n  - k1+aa\n  - k2+bb\n');
    const s = loadSettings(TABLE, { config }, {});
    assert.deepEqual(s.list('resources'), ['a.b', 'c.d']);
    assert.deepEqual(s.list('log'), ['k1+aa', 'k2+bb']);
  });

  it('takes a repeated flag as several values', () => {
    const cmd = settingsCommand('t', 'test', TABLE);
    cmd.action(() => undefined);
    cmd.parse(['--log', 'a+1', '--log', 'b+2'], { from: 'user' });
    assert.deepEqual(loadSettings(TABLE, cmd.opts(), {}).list('log'), ['a+1', 'b+2']);
  });
});

describe('a config file that cannot be used', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['an unknown setting', 'nope: 1\n', /unknown setting "nope"/],
    ['the config setting itself', 'config: other.yaml\n', /unknown setting "config"/],
    ['a list at the top', '- a\n', /mapping/],
    ['a scalar at the top', 'just text\n', /mapping/],
    ['a nested value', 'data-dir:\n  a: 1\n', /must be a value/],
    ['a list for a single setting', 'data-dir: [a, b]\n', /must be a value/],
    ['a list of mappings', 'resources:\n  - a: 1\n', /value or a list/],
    ['bad YAML', 'data-dir: [\n', /not YAML/],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${'*a, '.repeat(20)}*a]\n`, /not YAML/],
    ['more than 1 MiB', `data-dir: ${'x'.repeat(1024 * 1024)}\n`, /larger than/],
  ];
  for (const [name, text, why] of cases) {
    it(`refuses ${name}, naming --config`, () => {
      const path = file(`bad-${name.replaceAll(' ', '-')}.yaml`, text);
      assert.throws(() => readConfigFile(TABLE, path), configError('config', why));
    });
  }

  it('refuses a file that does not exist, naming --config', () => {
    assert.throws(
      () => loadSettings(TABLE, { config: join(dir, 'absent.yaml') }, {}),
      configError('config', /ENOENT/),
    );
  });

  it('takes an empty file as no settings', () => {
    assert.equal(readConfigFile(TABLE, file('empty.yaml', '')).size, 0);
  });
});

describe('typed readers', () => {
  it('requires a value, naming the flag', () => {
    assert.throws(
      () => Settings.of<'data-dir'>({}).require('data-dir'),
      configError('data-dir', /is required/),
    );
  });

  const durations: [string, number | RegExp][] = [
    ['250ms', 250],
    ['250', 250],
    ['2s', 2000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['0250ms', /not a duration/],
    ['-5ms', /not a duration/],
    ['1.5s', /not a duration/],
    ['5d', /not a duration/],
    ['9ms', /at least 10ms/],
  ];
  for (const [text, want] of durations) {
    it(`reads the duration ${JSON.stringify(text)}`, () => {
      const s = Settings.of({ 'batch-age': text });
      if (typeof want === 'number') assert.equal(s.duration('batch-age', 0, 10), want);
      else assert.throws(() => s.duration('batch-age', 0, 10), configError('batch-age', want));
    });
  }

  const integers: [string, number | RegExp][] = [
    ['1', 1],
    ['100', 100],
    ['0', /from 1 to 100/],
    ['101', /from 1 to 100/],
    ['1e3', /whole number/],
    ['0x10', /whole number/],
    ['-1', /whole number/],
    ['07', /whole number/],
    [' 7', /whole number/],
  ];
  for (const [text, want] of integers) {
    it(`reads the integer ${JSON.stringify(text)}`, () => {
      const s = Settings.of({ 'batch-size': text });
      if (typeof want === 'number') assert.equal(s.integer('batch-size', 0, 1, 100), want);
      else assert.throws(() => s.integer('batch-size', 0, 1, 100), configError('batch-size', want));
    });
  }

  it('uses the default when a setting is absent', () => {
    const s = Settings.of<(typeof TABLE)[number]['name']>({});
    assert.equal(s.integer('batch-size', 42, 1, 100), 42);
    assert.equal(s.duration('batch-age', 7, 1), 7);
    assert.equal(s.onOff('search', true), true);
    assert.equal(s.hostPort('listen', '127.0.0.1:1'), '127.0.0.1:1');
    assert.equal(s.list('resources'), undefined);
  });

  for (const [text, ok] of [
    ['127.0.0.1:0', '127.0.0.1:0'],
    ['[::1]:7443', '[::1]:7443'],
    ['0.0.0.0:65535', '0.0.0.0:65535'],
    // Left out, the host is loopback: every interface is only ever asked for by name.
    [':9090', '127.0.0.1:9090'],
    ['localhost', false],
    ['127.0.0.1:70000', false],
    ['[zz]:1', false],
    ['host:01', false],
  ] as const) {
    it(`${ok !== false ? 'takes' : 'refuses'} the address ${text}`, () => {
      const s = Settings.of({ listen: text });
      if (ok !== false) assert.equal(s.hostPort('listen'), ok);
      else assert.throws(() => s.hostPort('listen'), configError('listen', /host:port/));
    });
  }

  it('reads on and off', () => {
    assert.equal(Settings.of({ search: 'off' }).onOff('search', true), false);
    assert.throws(() => Settings.of({ search: 'yes' }).onOff('search', true), configError('search'));
  });

  describe('a secret file', () => {
    it('gives the trimmed content', () => {
      const s = Settings.of({ 'token-file': file('token', ' s3cret-token \n') });
      assert.equal(s.secretFile('token-file'), 's3cret-token');
    });
    const bad: [string, () => string, RegExp][] = [
      ['missing', () => join(dir, 'no-token'), /ENOENT/],
      ['empty', () => file('empty-token', '\n\n'), /is empty/],
      ['larger than 64 KiB', () => file('big-token', Buffer.alloc(64 * 1024 + 1, 'a')), /larger than/],
      ['a directory', () => dir, /cannot read/],
    ];
    for (const [name, path, why] of bad) {
      it(`fails when it is ${name}, never showing its content`, () => {
        const s = Settings.of({ 'token-file': path() });
        assert.throws(
          () => s.secretFile('token-file'),
          (err: unknown) => configError('token-file', why)(err) && !(err as Error).message.includes('aaaa'),
        );
      });
    }
  });
});

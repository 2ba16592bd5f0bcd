// The notify settings: each output turns on with its address, credentials come only from files, and
// every bad value stops the start with a message naming its flag (exit 2), never echoing a secret.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SettingsError } from '../../packages/runtime/index.js';
import { type NotifyRawSettings, notifyConfig } from './index.js';

describe('notify settings', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'notify-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** Loki with its changes feed on and what the feed needs. */
  const feed = (): NotifyRawSettings => ({
    'loki-url': 'http://loki:3100',
    'loki-changes': 'on',
    'ledger-address': 'ledger:7000',
    'data-dir': join(dir, 'feed'),
  });

  it('start no output by default, with the documented retry policy', () => {
    const c = notifyConfig({});
    assert.deepEqual(c.outputs, []);
    assert.deepEqual(c.retry, { maxAttempts: 10, backoffMs: 1000, backoffMaxMs: 300_000, timeoutMs: 10_000 });
  });

  it('turn on each output with its address and read credentials from files', () => {
    const c = notifyConfig({
      'alerts-webhook': 'https://hooks.example/in',
      'alerts-webhook-secret-file': file('s', 'secret\n'),
      'slack-webhook-url-file': file('slack', 'https://hooks.slack.com/services/T/B/X\n'),
      'falco-url': 'http://falcosidekick:2801/',
      'syslog-address': 'syslog.example:6514',
      'elasticsearch-url': 'https://es:9200',
      'elasticsearch-user': 'elastic',
      'elasticsearch-password-file': file('esp', 'pw'),
      'loki-url': 'http://loki:3100',
      'splunk-url': 'https://splunk:8088',
      'splunk-token-file': file('hec', 'tok'),
      'alerts-webhook-min-severity': 'high',
      'slack-rules': 'nginx-snippet, tls-removed',
      'syslog-clusters': 'prod',
    });
    assert.deepEqual(
      c.outputs.map((o) => o.output.kind),
      ['webhook', 'slack', 'falco', 'syslog', 'elasticsearch', 'loki', 'splunk'],
    );
    assert.deepEqual(c.outputs[0]?.output, {
      kind: 'webhook',
      url: 'https://hooks.example/in',
      format: 'json',
      secret: 'secret',
    });
    assert.equal(c.outputs[0]?.filter.minSeverity, 'high');
    assert.deepEqual([...(c.outputs[1]?.filter.rules ?? [])], ['nginx-snippet', 'tls-removed']);
    assert.deepEqual([...(c.outputs[3]?.filter.clusters ?? [])], ['prod']);
    assert.deepEqual(c.outputs[3]?.output, { kind: 'syslog', host: 'syslog.example', port: 6514 });
  });

  it('turns the changes feed on per output, with the ledger address, TLS files and a data dir', () => {
    const c = notifyConfig({
      ...feed(),
      'splunk-url': 'https://splunk:8088',
      'splunk-token-file': file('hec', 'tok'),
      'splunk-changes': 'off',
      'ledger-ca-file': file('ca.pem', 'x'),
      'changes-batch': '50',
    });
    assert.deepEqual(c.feed, {
      outputs: ['loki'],
      ledgerAddress: 'ledger:7000',
      tls: { caFile: join(dir, 'ca.pem') },
      dataDir: join(dir, 'feed'),
      batch: 50,
      lingerMs: 200,
      esIndex: 'ingress-ledger-changes',
    });
    assert.equal(notifyConfig({ 'loki-url': 'http://l/' }).feed, undefined);
  });

  describe('when a value is bad', () => {
    const cases: [string, () => NotifyRawSettings, string, string?][] = [
      ['a webhook that is not a URL', () => ({ 'alerts-webhook': 'not a url' }), 'alerts-webhook'],
      ['a webhook of another scheme', () => ({ 'alerts-webhook': 'file:///etc/passwd' }), 'alerts-webhook'],
      ['credentials in a URL', () => ({ 'loki-url': 'https://user:pw@loki' }), 'loki-url', 'pw@'],
      ['an absurdly long URL', () => ({ 'falco-url': `http://x/${'a'.repeat(5000)}` }), 'falco-url'],
      [
        'a secret without its webhook',
        () => ({ 'alerts-webhook-secret-file': file('s2', 'x') }),
        'alerts-webhook-secret-file',
      ],
      [
        'a missing secret file',
        () => ({ 'alerts-webhook': 'http://h/', 'alerts-webhook-secret-file': join(dir, 'nope') }),
        'alerts-webhook-secret-file',
      ],
      [
        'an empty secret file',
        () => ({ 'alerts-webhook': 'http://h/', 'alerts-webhook-secret-file': file('empty', '\n') }),
        'alerts-webhook-secret-file',
      ],
      [
        'an oversized secret file',
        () => ({ 'splunk-url': 'http://s/', 'splunk-token-file': file('big', 'x'.repeat(70_000)) }),
        'splunk-token-file',
      ],
      [
        'a Slack file that is not a URL',
        () => ({ 'slack-webhook-url-file': file('slack-bad', 'T0/B0/SECRETPART') }),
        'slack-webhook-url-file',
        'SECRETPART',
      ],
      [
        'an unknown format',
        () => ({ 'alerts-webhook': 'http://h/', 'alerts-webhook-format': 'xml' }),
        'alerts-webhook-format',
      ],
      [
        'an unknown severity',
        () => ({ 'alerts-webhook': 'http://h/', 'alerts-webhook-min-severity': 'urgent' }),
        'alerts-webhook-min-severity',
      ],
      ['a filter of an output that is off', () => ({ 'loki-rules': 'tls-removed' }), 'loki-rules'],
      ['Splunk without its token', () => ({ 'splunk-url': 'http://s/' }), 'splunk-token-file'],
      ['a Splunk token without Splunk', () => ({ 'splunk-token-file': file('t', 'x') }), 'splunk-token-file'],
      [
        'both Elasticsearch credentials',
        () => ({
          'elasticsearch-url': 'http://e/',
          'elasticsearch-api-key-file': file('k', 'k'),
          'elasticsearch-user': 'u',
        }),
        'elasticsearch-user',
      ],
      [
        'a password without a user',
        () => ({ 'elasticsearch-url': 'http://e/', 'elasticsearch-password-file': file('p', 'p') }),
        'elasticsearch-password-file',
      ],
      [
        'a bad index name',
        () => ({ 'elasticsearch-url': 'http://e/', 'elasticsearch-index': 'Alerts/../x' }),
        'elasticsearch-index',
      ],
      ['a bad Loki tenant', () => ({ 'loki-url': 'http://l/', 'loki-tenant': 'a b\n' }), 'loki-tenant'],
      ['a syslog address without a port', () => ({ 'syslog-address': 'syslog.example' }), 'syslog-address'],
      ['a syslog port 0', () => ({ 'syslog-address': 'syslog.example:0' }), 'syslog-address'],
      [
        'a syslog CA that is not PEM',
        () => ({ 'syslog-address': 'h:6514', 'syslog-ca-file': file('ca', 'hello') }),
        'syslog-ca-file',
      ],
      ['zero attempts', () => ({ 'max-attempts': '0' }), 'max-attempts'],
      ['a negative backoff', () => ({ 'retry-backoff': '-1s' }), 'retry-backoff'],
      [
        'a cap below the backoff',
        () => ({ 'retry-backoff': '10s', 'retry-backoff-max': '1s' }),
        'retry-backoff-max',
      ],
      ['a delivery timeout of a day', () => ({ 'delivery-timeout': '24h' }), 'delivery-timeout'],
      ['a changes feed without its output', () => ({ 'loki-changes': 'on' }), 'loki-changes'],
      [
        'a changes switch that is not on or off',
        () => ({ 'loki-url': 'http://l/', 'loki-changes': 'yes please' }),
        'loki-changes',
      ],
      [
        'a changes feed without the ledger',
        () => ({ 'loki-url': 'http://l/', 'loki-changes': 'on', 'data-dir': dir }),
        'ledger-address',
      ],
      [
        'a ledger address that is not host:port',
        () => ({ ...feed(), 'ledger-address': 'ledger; rm -rf /' }),
        'ledger-address',
      ],
      [
        'a changes feed without a data dir',
        () => ({ 'loki-url': 'http://l/', 'loki-changes': 'on', 'ledger-address': 'ledger:7000' }),
        'data-dir',
      ],
      ['a ledger address with no feed on', () => ({ 'ledger-address': 'ledger:7000' }), 'ledger-address'],
      ['a batch of zero', () => ({ ...feed(), 'changes-batch': '0' }), 'changes-batch'],
      ['a batch of a million', () => ({ ...feed(), 'changes-batch': '1000000' }), 'changes-batch'],
      [
        'a bad changes index',
        () => ({
          ...feed(),
          'elasticsearch-url': 'http://e/',
          'elasticsearch-changes': 'on',
          'elasticsearch-changes-index': '../_all',
        }),
        'elasticsearch-changes-index',
      ],
      [
        'a changes index with Elasticsearch changes off',
        () => ({ ...feed(), 'elasticsearch-url': 'http://e/', 'elasticsearch-changes-index': 'x' }),
        'elasticsearch-changes-index',
      ],
      [
        'a client certificate without its key',
        () => ({ ...feed(), 'ledger-cert-file': file('c', 'c') }),
        'ledger-cert-file',
      ],
      [
        'a missing ledger CA file',
        () => ({ ...feed(), 'ledger-ca-file': join(dir, 'no-such-ca.pem') }),
        'ledger-ca-file',
      ],
    ];
    for (const [what, raw, flag, secret] of cases) {
      it(`stops on ${what}, naming --${flag}`, () => {
        assert.throws(
          () => notifyConfig(raw()),
          (e: unknown) =>
            e instanceof SettingsError &&
            e.code === 'CONFIG' &&
            e.message.startsWith(`--${flag}: `) &&
            (secret === undefined || !e.message.includes(secret)),
        );
      });
    }
  });
});

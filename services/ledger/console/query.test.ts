// The console's query strings are attacker-controlled: every malformed, oversized, repeated or
// hostile one is a BAD_QUERY or TOO_LONG ConsoleError, never a crash or a lenient reading.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsoleError } from './errors.js';
import { historyRequestOf, MAX_QUERY_CHARS, parseTime, searchRequestOf } from './query.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConsoleError, `not a ConsoleError: ${String(err)}`);
    return err.code;
  }
  return 'OK';
};

describe('searchRequestOf', () => {
  it('reads the search names into the request', () => {
    const r = searchRequestOf(
      'namespace=shop&user=alice%40example.com&risk=tls-removed&response-code=403&limit=20',
    );
    assert.equal(r.namespace, 'shop');
    assert.equal(r.user, 'alice@example.com');
    assert.equal(r.risk, 'tls-removed');
    assert.equal(r.responseCode, 403);
    assert.equal(r.pageSize, 20);
  });

  it('treats an empty value as no filter and + as a space', () => {
    const r = searchRequestOf('namespace=&text=canary+rollout');
    assert.equal(r.namespace, '');
    assert.equal(r.text, 'canary rollout');
  });

  it('reads RFC 3339 times with their offset and durations ago', () => {
    const r = searchRequestOf('since=2026-11-27T01:00:00.5%2B01:00&until=2h', Date.UTC(2026, 11, 5, 12));
    assert.equal(r.since?.seconds, BigInt(Date.UTC(2026, 10, 27) / 1000));
    assert.equal(r.since?.nanos, 500_000_000);
    assert.equal(r.until?.seconds, BigInt(Date.UTC(2026, 11, 5, 10) / 1000));
  });

  const bad: [string, string, string][] = [
    ['unknown parameter', 'namespace=shop&evil=1', 'BAD_QUERY'],
    ['repeated parameter', 'user=a&user=b', 'BAD_QUERY'],
    ['broken percent-encoding', 'user=%E0%A4%A', 'BAD_QUERY'],
    ['lone percent', 'user=%', 'BAD_QUERY'],
    ['NUL in a value', 'name=a%00b', 'BAD_QUERY'],
    ['newline in a value', 'text=a%0Ab', 'BAD_QUERY'],
    ['response-code with a sign', 'response-code=%2B403', 'BAD_QUERY'],
    ['response-code with a leading zero', 'response-code=0403', 'BAD_QUERY'],
    ['response-code out of range', 'response-code=600', 'BAD_QUERY'],
    ['response-code absurd', 'response-code=99999999999999999999', 'BAD_QUERY'],
    ['limit zero', 'limit=0', 'BAD_QUERY'],
    ['limit too large', 'limit=100000', 'BAD_QUERY'],
    ['limit in hex', 'limit=0x10', 'BAD_QUERY'],
    ['since not a time', 'since=yesterday', 'BAD_QUERY'],
    ['since on February 30', 'since=2026-02-30T00:00:00Z', 'BAD_QUERY'],
    ['since at hour 24', 'since=2026-02-03T24:00:00Z', 'BAD_QUERY'],
    ['since without a zone', 'since=2026-02-03T10:00:00', 'BAD_QUERY'],
    ['since a duration in years', 'since=3y', 'BAD_QUERY'],
    ['prototype pollution name', '__proto__=1', 'BAD_QUERY'],
    ['constructor name', 'constructor=x', 'BAD_QUERY'],
    ['oversized query', `text=${'a'.repeat(MAX_QUERY_CHARS)}`, 'TOO_LONG'],
  ];
  for (const [what, q, want] of bad)
    it(`refuses ${what}`, () =>
      assert.equal(
        code(() => searchRequestOf(q)),
        want,
      ));

  it('leaves rule ids and value lengths to the search index (one set of rules)', () => {
    assert.equal(
      code(() => searchRequestOf('risk=no-such-rule')),
      'OK',
    );
  });
});

describe('historyRequestOf', () => {
  it('splits <namespace>/<name>', () => {
    const r = historyRequestOf('object=shop/web&cluster=eu1');
    assert.deepEqual([r.namespace, r.name, r.cluster], ['shop', 'web', 'eu1']);
  });
  it('takes a cluster-scoped name', () => assert.equal(historyRequestOf('object=nginx').name, 'nginx'));
  for (const q of [
    '',
    'object=',
    'object=a/b/c',
    'object=/web',
    'object=shop/',
    'object=a&object=b',
    'obj=a/b',
  ])
    it(`refuses ${JSON.stringify(q)}`, () =>
      assert.equal(
        code(() => historyRequestOf(q)),
        'BAD_QUERY',
      ));
});

describe('parseTime', () => {
  it('keeps nanoseconds', () =>
    assert.equal(parseTime('since', '2026-01-01T00:00:00.123456789Z').nanos, 123456789));
});

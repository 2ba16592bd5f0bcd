// The alert's wire form: what the ledger writes, the notify service reads back exactly, and
// docs/alerts.schema.json describes. Readers treat the bytes as hostile.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { REPO_ROOT } from '../../test/support/shared.js';
import { alertId, decodeAlert, encodeAlert, MAX_ALERT_BYTES } from './index.js';
import { sampleAlert } from './testing.js';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'alerts.schema.json'), 'utf8')) as object;
const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);

describe('an alert message', () => {
  it('reads back as it was written', () => {
    const a = sampleAlert();
    assert.deepEqual(decodeAlert(encodeAlert(a)), a);
    const b = sampleAlert({
      impersonatedUser: 'bob',
      reason: null,
      consoleUrl: 'https://console/?object=shop/web',
    });
    assert.deepEqual(decodeAlert(encodeAlert(b)), b);
  });

  it('writes the index and the checkpoint size exactly, past 2^53', () => {
    const a = sampleAlert({ index: 2n ** 60n + 1n });
    a.checkpoint = { ...a.checkpoint, size: 2n ** 60n + 2n };
    const text = encodeAlert(a);
    assert.match(text, /^\{"index":1152921504606846977,/);
    assert.match(text, /"checkpoint":\{"size":1152921504606846978,/);
    assert.equal(decodeAlert(text)?.index, 2n ** 60n + 1n);
    assert.equal(decodeAlert(text)?.checkpoint.size, 2n ** 60n + 2n);
  });

  it('matches docs/alerts.schema.json, with and without the optional fields', () => {
    for (const a of [
      sampleAlert(),
      sampleAlert({ impersonatedUser: 'bob', consoleUrl: 'https://c.example/?object=a/b' }),
      sampleAlert({ object: { ...sampleAlert().object, subresource: 'status' } }),
    ]) {
      const ok = validate(JSON.parse(encodeAlert(a)));
      assert.ok(ok, JSON.stringify(validate.errors));
    }
  });

  it('has ids by change and rule, numbered when a rule fires twice on one change', () => {
    assert.equal(alertId('prod', 'abc', 'tls-removed'), 'prod/abc/tls-removed');
    assert.equal(alertId('prod', 'abc', 'tls-removed', 1), 'prod/abc/tls-removed/1');
  });
});

describe('when an alert message is malformed', () => {
  const good = encodeAlert(sampleAlert());
  const cases: [string, string][] = [
    ['empty', ''],
    ['not JSON', 'hello'],
    ['truncated', good.slice(0, good.length - 5)],
    ['an array', '[1,2]'],
    ['no index first', `{"x":1,${good.slice(1)}`],
    ['a negative index', good.replace('{"index":41', '{"index":-1')],
    ['an index with a leading zero', good.replace('{"index":41', '{"index":041')],
    ['a severity outside the set', good.replace('"severity":"critical"', '"severity":"urgent"')],
    ['a number where a string belongs', good.replace('"rule":"nginx-snippet"', '"rule":7')],
    ['source IPs that are not strings', good.replace('"sourceIPs":["10.0.0.7"]', '"sourceIPs":[7]')],
    ['an object that is not one', good.replace(/"object":\{[^}]*\}/, '"object":"web"')],
    ['a checkpoint that does not cover the entry', good.replace('"size":42', '"size":41')],
    ['a checkpoint size that is not a number', good.replace('"size":42', '"size":"42"')],
    ['a fractional response code', good.replace('"responseCode":200', '"responseCode":200.5')],
    ['oversized', `${good.slice(0, -1)},"pad":"${'x'.repeat(MAX_ALERT_BYTES)}"}`],
  ];
  for (const [what, text] of cases) {
    it(`is refused when it is ${what}`, () => assert.equal(decodeAlert(text), undefined));
  }

  it('cannot fake the checkpoint size from inside a string', () => {
    const a = sampleAlert({ message: 'x,"checkpoint":{"size":99999,"' });
    assert.equal(decodeAlert(encodeAlert(a))?.checkpoint.size, 42n);
  });
});

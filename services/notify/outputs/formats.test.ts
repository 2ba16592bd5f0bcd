// The receivers' formats, as pure functions: what each protocol needs in each request, and how
// answers are read (hostile answers included).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeAlert } from '../../../packages/runtime/index.js';
import { sampleAlert } from '../../../packages/runtime/testing.js';
import { cloudEvent } from './cloudevents.js';
import { bulkBody, checkBulkAnswer } from './elasticsearch.js';
import { falcoEvent } from './falco.js';
import { lokiPush, unixNanos } from './loki.js';
import { DeliveryError, httpStatusError } from './output.js';
import { slackMessage } from './slack.js';
import { splunkEvent } from './splunk.js';
import { signature, webhookRequest } from './webhook.js';

const a = sampleAlert({ index: 2n ** 60n });
a.checkpoint = { ...a.checkpoint, size: 2n ** 60n + 1n };
const raw = encodeAlert(a);

describe('the outputs formats', () => {
  it('sign the exact body (GitHub-style sha256=<hex>)', () => {
    // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), RFC 4231-style known vector.
    assert.equal(
      signature('key', 'The quick brown fox jumps over the lazy dog'),
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
    const r = webhookRequest({ url: 'http://x/', format: 'json', secret: 'k', timeoutMs: 1 }, a, raw);
    assert.equal(r.body, raw);
    assert.equal(r.headers['X-Ingress-Ledger-Signature'], signature('k', raw));
  });

  it('keep a log index past 2^53 exact in every JSON they embed it in', () => {
    for (const body of [cloudEvent(a, raw), splunkEvent(a, raw, 'h'), bulkBody(a, raw, 'i')]) {
      assert.ok(body.includes('"index":1152921504606846976'), body.slice(0, 200));
    }
    assert.ok(lokiPush(a, raw).includes('{\\"index\\":1152921504606846976'));
    assert.equal(JSON.parse(falcoEvent(a, 'h')).output_fields['ingress_ledger.index'], '1152921504606846976');
  });

  it('give Loki nanoseconds from the audited time, exactly', () => {
    assert.equal(unixNanos('1970-01-01T00:00:01.000000001Z'), '1000000001');
    assert.equal(unixNanos('1970-01-01T01:00:00+01:00'), '0');
    assert.equal(unixNanos('not a time'), undefined);
    assert.match(lokiPush(sampleAlert({ stageTimestamp: 'garbage' }), raw, 5), /"values":\[\["5000000",/);
  });

  it('cap Slack texts and escape mrkdwn', () => {
    const long = sampleAlert({ message: `<@here> ${'x'.repeat(10_000)}` });
    const m = JSON.parse(slackMessage(long)) as { text: string; blocks: { text?: { text: string } }[] };
    assert.ok(m.text.length <= 2901);
    assert.ok((m.blocks[0]?.text?.text.length ?? 0) <= 2901);
    assert.ok(m.blocks[0]?.text?.text.includes('&lt;@here&gt;'));
  });

  it('map HTTP answers to retryable or not', () => {
    for (const s of [408, 429, 500, 502, 503])
      assert.equal(httpStatusError('x', s).retryable, true, String(s));
    for (const s of [301, 400, 401, 403, 404, 413, 422])
      assert.equal(httpStatusError('x', s).retryable, false, String(s));
  });
});

describe('an Elasticsearch _bulk answer', () => {
  const cases: [string, string, boolean | undefined][] = [
    ['all created', '{"errors":false,"items":[{"create":{"status":201}}]}', undefined],
    [
      'already there (a repeat)',
      '{"errors":true,"items":[{"create":{"status":409,"error":{"type":"version_conflict_engine_exception"}}}]}',
      undefined,
    ],
    [
      'rejected for load',
      '{"errors":true,"items":[{"create":{"status":429,"error":{"type":"es_rejected_execution_exception"}}}]}',
      true,
    ],
    [
      'a mapping error',
      '{"errors":true,"items":[{"create":{"status":400,"error":{"type":"mapper_parsing_exception"}}}]}',
      false,
    ],
    ['not JSON', '<html>', true],
    ['without items', '{"errors":true}', true],
    ['items of the wrong shape', '{"errors":true,"items":[7]}', false],
  ];
  for (const [what, body, retryable] of cases) {
    it(`is read when ${what}`, () => {
      if (retryable === undefined) checkBulkAnswer(body);
      else
        assert.throws(
          () => checkBulkAnswer(body),
          (e: unknown) => e instanceof DeliveryError && e.retryable === retryable,
        );
    });
  }
});

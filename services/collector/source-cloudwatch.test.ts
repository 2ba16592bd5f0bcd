// Firehose deliveries of CloudWatch Logs payloads and NDJSON bodies, parsed as hostile input: every
// bad record is one malformed item (the rest are taken), and decompression is bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type AuditItem, webhookBodyItems } from './audit-input.js';
import { CollectorError } from './errors.js';
import { cloudwatchRecordItems, decodeBase64 } from './source-cloudwatch.js';
import { firehoseItems } from './source-firehose.js';
import { firehoseDelivery } from './testing.js';

const MiB = 1024 * 1024;
const budget = () => ({ perRecord: MiB, left: 8 * MiB });
const event = (id: string) => JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: id });
const kinds = (items: AuditItem[]) =>
  items.map((i) => ('event' in i ? 'event' : 'invalid' in i ? `invalid: ${i.error.message}` : 'not-audit'));
const body = (o: unknown) => Buffer.from(JSON.stringify(o));
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');

describe('a Firehose delivery', () => {
  it('yields the audit events of every record, in order', () => {
    const items = firehoseItems(
      Buffer.from(firehoseDelivery('r1', [[event('a'), event('b')], [event('c')]])),
      budget(),
    );
    assert.deepEqual(
      items.map((i) => ('event' in i ? (i.event as { auditID: string }).auditID : '?')),
      ['a', 'b', 'c'],
    );
  });

  const cases: { name: string; data: string; want: string[] }[] = [
    {
      name: 'data that is not base64',
      data: 'not base64!',
      want: ['invalid: records[].data is not standard padded base64'],
    },
    { name: 'unpadded base64', data: 'YWJ', want: ['invalid: records[].data is not standard padded base64'] },
    {
      name: 'truncated gzip',
      data: b64(gzipSync(event('x')).subarray(0, 12)),
      want: ['invalid: records[].data is not valid gzip'],
    },
    {
      name: 'a CONTROL_MESSAGE',
      data: b64(
        gzipSync(
          JSON.stringify({ messageType: 'CONTROL_MESSAGE', logEvents: [{ message: 'CWL CONTROL MESSAGE' }] }),
        ),
      ),
      want: [],
    },
    {
      name: 'another messageType',
      data: b64(gzipSync(JSON.stringify({ messageType: 'OTHER', logEvents: [] }))),
      want: ['invalid: messageType must be DATA_MESSAGE or CONTROL_MESSAGE'],
    },
    {
      name: 'logEvents that are not a list',
      data: b64(
        gzipSync(
          JSON.stringify({ messageType: 'DATA_MESSAGE', logStream: 'kube-apiserver-audit-1', logEvents: 5 }),
        ),
      ),
      want: ['invalid: logEvents must be a list'],
    },
    {
      name: 'a message that is not JSON, between two good ones',
      data: b64(
        gzipSync(
          JSON.stringify({
            messageType: 'DATA_MESSAGE',
            logStream: 'kube-apiserver-audit-1',
            logEvents: [
              { message: event('a') },
              { message: '{"kind": "Ev' },
              { message: 7 },
              { message: event('b') },
            ],
          }),
        ),
      ),
      want: [
        'event',
        'invalid: logEvents[].message is not JSON',
        'invalid: logEvents[].message must be a string',
        'event',
      ],
    },
    {
      name: "another control-plane log's stream",
      data: b64(
        gzipSync(
          JSON.stringify({
            messageType: 'DATA_MESSAGE',
            logStream: 'authenticator-0123',
            logEvents: [{ message: 'time="..." level=info msg="access granted"' }],
          }),
        ),
      ),
      want: ['not-audit'],
    },
    {
      name: 'decompressed by Firehose, messages extracted one per line',
      data: b64(`${event('a')}\n${event('b')}\n`),
      want: ['event', 'event'],
    },
  ];
  for (const c of cases) {
    it(`makes ${c.want.length === 0 ? 'nothing' : c.want.join(', ')} of ${c.name}`, () => {
      assert.deepEqual(kinds(cloudwatchRecordItems(c.data, budget())), c.want);
    });
  }

  it('stops a gzip bomb at the per-record cap, as one malformed record', () => {
    const bomb = b64(gzipSync(Buffer.alloc(64 * MiB)));
    assert.ok(bomb.length < 200_000, 'the bomb is small on the wire');
    const got = kinds(cloudwatchRecordItems(bomb, budget()));
    assert.deepEqual(got, [`invalid: records[].data decompresses past ${MiB} bytes`]);
  });

  it('refuses a delivery whose records together decompress past its budget', () => {
    const big = b64(gzipSync(JSON.stringify({ messageType: 'CONTROL_MESSAGE', pad: 'x'.repeat(MiB - 100) })));
    const records = Array.from({ length: 9 }, () => ({ data: big }));
    assert.throws(
      () => firehoseItems(body({ requestId: 'r', timestamp: 1, records }), budget()),
      (e: unknown) => e instanceof CollectorError && e.code === 'TOO_LARGE',
    );
  });

  const refused: [string, Uint8Array][] = [
    ['not JSON', Buffer.from('{"records": [')],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
    ['a list', body([{ data: '' }])],
    ['records missing', body({ requestId: 'r', timestamp: 1 })],
    ['records not a list', body({ requestId: 'r', records: 'x' })],
  ];
  for (const [name, b] of refused) {
    it(`refuses a body that is ${name} (BAD_REQUEST)`, () => {
      assert.throws(
        () => firehoseItems(b, budget()),
        (e: unknown) => e instanceof CollectorError && e.code === 'BAD_REQUEST',
      );
    });
  }

  it('makes a record without string data one malformed item', () => {
    const items = firehoseItems(
      body({ records: [{ data: 5 }, null, { data: b64(`${event('a')}\n`) }] }),
      budget(),
    );
    assert.deepEqual(kinds(items), [
      'invalid: records[].data must be a string',
      'invalid: records[].data must be a string',
      'event',
    ]);
  });

  it('decodes only strict standard base64', () => {
    assert.equal(decodeBase64('YWJj')?.toString(), 'abc');
    assert.equal(decodeBase64('YWI=')?.toString(), 'ab');
    for (const bad of ['YWJ', 'YW=j', 'YWJj\n', 'YW-_', '===='])
      assert.equal(decodeBase64(bad), undefined, bad);
  });
});

describe('an NDJSON webhook body', () => {
  const text = `${event('a')}\n\n${event('b')}\r\nnot json\n{"kind":"AdmissionReview"}\n`;
  it('is read line by line when labelled so, a bad line being one malformed item', () => {
    assert.deepEqual(kinds(webhookBodyItems(Buffer.from(text), true)), [
      'event',
      'event',
      'invalid: line is not JSON',
      'not-audit',
    ]);
  });
  it('is detected without its label when its first line is a JSON object', () => {
    assert.equal(webhookBodyItems(Buffer.from(text)).length, 4);
  });
  it('is not guessed for a pretty-printed document that is not JSON', () => {
    assert.throws(
      () => webhookBodyItems(Buffer.from('{\n  "kind": "Event",\n')),
      (e: unknown) => e instanceof CollectorError && e.code === 'BAD_REQUEST',
    );
  });
});

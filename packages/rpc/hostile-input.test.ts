import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { startTestLedger, type TestLedger } from './testing.js';

/** Raw bytes in, status out: a grpc-js generic client that skips protobuf-es entirely. */
function rawUnary(port: number, path: string, payload: Buffer): Promise<grpc.status> {
  const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    raw.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      payload,
      (err) => {
        raw.close();
        resolve(err === null ? grpc.status.OK : (err.code ?? grpc.status.UNKNOWN));
      },
    );
  });
}

describe('hostile request payloads to the Ledger service', () => {
  let t: TestLedger;
  before(async () => {
    t = await startTestLedger();
  });
  after(() => t.close());

  describe('hostile request payloads', () => {
    const path = '/ingressledger.v1.Ledger/GetInclusionProof';
    const search = '/ingressledger.v1.Ledger/SearchEntries';
    const cases: Array<[string, string, Buffer]> = [
      ['a truncated varint', path, Buffer.from([0x08, 0xff, 0xff])],
      ['a varint longer than 10 bytes', path, Buffer.from([0x08, ...new Array(11).fill(0xff), 0x01])],
      ['a length past the end', path, Buffer.from([0x12, 0x20, 0x01, 0x02])],
      ['a reserved wire type', path, Buffer.from([0x0f])],
      ['field number zero', path, Buffer.from([0x00, 0x01])],
      ['an unterminated group', path, Buffer.from([0x0b])],
      [
        'a varint field sent length-delimited',
        '/ingressledger.v1.Ledger/GetEntries',
        Buffer.from([0x0a, 0x02, 1, 2]),
      ],
      ['a string that is not UTF-8', search, Buffer.from([0x0a, 0x02, 0xff, 0xfe])],
      ['a nested Timestamp cut short', search, Buffer.from([0x5a, 0x03, 0x08, 0x80])],
    ];
    for (const [name, where, payload] of cases) {
      it(`answers ${name} with INVALID_ARGUMENT`, async () => {
        assert.equal(await rawUnary(t.port, where, payload), grpc.status.INVALID_ARGUMENT);
      });
    }

    it('answers a malformed streaming request with INVALID_ARGUMENT', async () => {
      const raw = new grpc.Client(`127.0.0.1:${t.port}`, grpc.credentials.createInsecure());
      const call = raw.makeServerStreamRequest(
        '/ingressledger.v1.Ledger/WatchEntries',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0x08, 0xff]),
      );
      const code = await new Promise<grpc.status>((resolve) => {
        call.on('data', () => {});
        call.on('error', (e: grpc.ServiceError) => resolve(e.code));
        call.on('end', () => resolve(grpc.status.OK));
      });
      raw.close();
      assert.equal(code, grpc.status.INVALID_ARGUMENT);
    });

    it('accepts unknown fields (forward compatibility)', async () => {
      assert.equal(await rawUnary(t.port, path, Buffer.from([0x08, 0x01, 0xa0, 0x06, 0x05])), grpc.status.OK);
    });

    it('refuses a message over the receive limit with RESOURCE_EXHAUSTED', async () => {
      const big = Buffer.alloc(5 * 1024 * 1024);
      assert.equal(await rawUnary(t.port, path, big), grpc.status.RESOURCE_EXHAUSTED);
    });

    it('answers an unknown method with UNIMPLEMENTED', async () => {
      assert.equal(
        await rawUnary(t.port, '/ingressledger.v1.Ledger/DropTables', Buffer.alloc(0)),
        grpc.status.UNIMPLEMENTED,
      );
    });
  });
});

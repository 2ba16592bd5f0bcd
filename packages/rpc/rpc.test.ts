import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Ledger } from '../proto/index.js';
import {
  addService,
  type Client,
  createClient,
  INTERNAL_ERROR_MESSAGE,
  listen,
  RpcError,
  serverCredentials,
  serviceDefinition,
  type ServiceImpl,
} from './index.js';
import { CANNED_CHECKPOINT, Probe, testLedger } from './test-ledger.js';

function withMode(m: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-mode', m);
  return md;
}

async function rejectsWith(p: Promise<unknown>, code: grpc.status): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcError, `want RpcError, got ${String(err)}`);
    assert.equal(err.code, code, `want ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.message}`);
    return err;
  }
  assert.fail(`want ${grpc.status[code]}, the call succeeded`);
}

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

describe('the rpc bridge over loopback with the Ledger descriptor', () => {
  const probe = new Probe();
  const logged: string[] = [];
  const observed: Array<[string, grpc.status]> = [];
  const server = new grpc.Server();
  let port = 0;
  let client: Client<typeof Ledger> & { close(): void };

  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged.push(String(chunk));
        cb();
      },
    });
    addService(server, Ledger, testLedger(probe), {
      logger: pino({ level: 'error' }, sink),
      observe: (method, code) => observed.push([method, code]),
    });
    port = await listen(server, '127.0.0.1:0', serverCredentials());
    client = createClient(Ledger, `127.0.0.1:${port}`);
  });
  after(() => {
    client.close();
    server.forceShutdown();
  });

  describe('serviceDefinition', () => {
    it('uses /<service>/<Method> paths and marks server streams', () => {
      const def = serviceDefinition(Ledger);
      assert.equal(def['getCheckpoint']?.path, '/ingressledger.v1.Ledger/GetCheckpoint');
      assert.equal(def['getCheckpoint']?.responseStream, false);
      assert.equal(def['watchEntries']?.path, '/ingressledger.v1.Ledger/WatchEntries');
      assert.equal(def['watchEntries']?.responseStream, true);
      assert.equal(Object.keys(def).length, Ledger.methods.length);
    });

    it('refuses an implementation with a missing method', () => {
      const { getCheckpoint: _, ...partial } = testLedger(new Probe());
      assert.throws(
        // @ts-expect-error a missing method is a compile error, and a run-time one for untyped callers
        () => addService(new grpc.Server(), Ledger, partial),
        (e: unknown) => e instanceof RpcError && e.code === grpc.status.UNIMPLEMENTED,
      );
    });
  });

  describe('unary calls', () => {
    it('answers with the canned message, bigints intact', async () => {
      const cp = await client.getCheckpoint({});
      assert.equal(cp.origin, CANNED_CHECKPOINT.origin);
      assert.equal(cp.size, 42n);
      assert.deepEqual(cp.rootHash, CANNED_CHECKPOINT.rootHash);
      assert.equal(cp.$typeName, 'ingressledger.v1.Checkpoint');
    });

    it('passes oneof requests and large uint64 values through', async () => {
      const proof = await client.getInclusionProof({ leaf: { case: 'index', value: 41n }, treeSize: 0n });
      assert.equal(proof.index, 41n);
      assert.equal(proof.hashes.length, 2);
      const cons = await client.getConsistencyProof({ fromSize: 2n ** 64n - 1n, toSize: 2n ** 63n });
      assert.equal(cons.fromSize, 2n ** 64n - 1n);
      assert.equal(cons.toSize, 2n ** 63n);
    });

    it('reports each call to observe with the method name and status', async () => {
      observed.length = 0;
      await client.getCheckpoint({});
      await rejectsWith(client.getCheckpoint({}, { metadata: withMode('rpc-error') }), grpc.status.NOT_FOUND);
      assert.deepEqual(observed, [
        ['GetCheckpoint', grpc.status.OK],
        ['GetCheckpoint', grpc.status.NOT_FOUND],
      ]);
    });
  });

  describe('error mapping', () => {
    const cases: Array<[string, grpc.status]> = [
      ['rpc-error', grpc.status.NOT_FOUND],
      ['plain-error', grpc.status.INTERNAL],
      ['bad-code', grpc.status.INTERNAL],
      ['bad-response', grpc.status.INTERNAL],
    ];
    for (const [m, code] of cases) {
      it(`maps a handler failure "${m}" to ${grpc.status[code]}`, async () => {
        await rejectsWith(client.getCheckpoint({}, { metadata: withMode(m) }), code);
      });
    }

    it('keeps an RpcError message but never leaks a plain error', async () => {
      const kept = await rejectsWith(client.getCheckpoint({}, { metadata: withMode('rpc-error') }), grpc.status.NOT_FOUND);
      assert.equal(kept.message, 'no such checkpoint');
      logged.length = 0;
      const hidden = await rejectsWith(
        client.getCheckpoint({}, { metadata: withMode('plain-error') }),
        grpc.status.INTERNAL,
      );
      assert.equal(hidden.message, INTERNAL_ERROR_MESSAGE);
      assert.ok(logged.some((l) => l.includes('db.sqlite is corrupt')), 'the real error is logged');
    });

    it('passes validation codes from the handler (INVALID_ARGUMENT, OUT_OF_RANGE)', async () => {
      await rejectsWith(
        client.getInclusionProof({ leaf: { case: 'leafHash', value: new Uint8Array(31) } }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWith(client.getInclusionProof({ leaf: { case: 'index', value: 42n } }), grpc.status.OUT_OF_RANGE);
    });

    it('ends a stream that fails after a message with INTERNAL, hiding the text', async () => {
      const got: unknown[] = [];
      const err = await rejectsWith(
        (async () => {
          for await (const cp of client.watchCheckpoints({}, { metadata: withMode('fail-after-one') })) got.push(cp);
        })(),
        grpc.status.INTERNAL,
      );
      assert.equal(got.length, 1);
      assert.equal(err.message, INTERNAL_ERROR_MESSAGE);
    });

    it('rejects with UNAVAILABLE when nothing listens', async () => {
      const dead = createClient(Ledger, '127.0.0.1:1');
      await rejectsWith(dead.getCheckpoint({}, { deadline: 2000 }), grpc.status.UNAVAILABLE);
      dead.close();
    });
  });

  describe('hostile request payloads', () => {
    const path = '/ingressledger.v1.Ledger/GetInclusionProof';
    const cases: Array<[string, Buffer]> = [
      ['a truncated varint', Buffer.from([0x08, 0xff, 0xff])],
      ['a varint longer than 10 bytes', Buffer.from([0x08, ...new Array(11).fill(0xff), 0x01])],
      ['a length past the end', Buffer.from([0x12, 0x20, 0x01, 0x02])],
      ['a reserved wire type', Buffer.from([0x0f])],
      ['field number zero', Buffer.from([0x00, 0x01])],
      ['an unterminated group', Buffer.from([0x0b])],
    ];
    for (const [name, payload] of cases) {
      it(`answers ${name} with INVALID_ARGUMENT`, async () => {
        assert.equal(await rawUnary(port, path, payload), grpc.status.INVALID_ARGUMENT);
      });
    }

    it('answers a malformed streaming request with INVALID_ARGUMENT', async () => {
      const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
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
      assert.equal(await rawUnary(port, path, Buffer.from([0x08, 0x01, 0xa0, 0x06, 0x05])), grpc.status.OK);
    });

    it('refuses a message over the receive limit with RESOURCE_EXHAUSTED', async () => {
      const big = Buffer.alloc(5 * 1024 * 1024);
      assert.equal(await rawUnary(port, path, big), grpc.status.RESOURCE_EXHAUSTED);
    });

    it('answers an unknown method with UNIMPLEMENTED', async () => {
      assert.equal(await rawUnary(port, '/ingressledger.v1.Ledger/DropTables', Buffer.alloc(0)), grpc.status.UNIMPLEMENTED);
    });
  });

  describe('server streaming', () => {
    it('delivers many messages in order', async () => {
      let want = 0n;
      for await (const e of client.watchEntries({ fromIndex: 1500n })) {
        assert.equal(e.index, want);
        want++;
      }
      assert.equal(want, 1500n);
    });

    it('stops producing while the client does not read (back-pressure)', async () => {
      const before = probe.produced;
      const ac = new AbortController();
      const iter = client.watchEntries({ fromIndex: 0n }, { signal: ac.signal })[Symbol.asyncIterator]();
      await iter.next();
      await sleep(300);
      const stalled = probe.produced - before;
      await sleep(200);
      // Buffers (grpc-js, HTTP/2 windows, the socket) hold a bounded number of 1 KiB entries.
      assert.equal(probe.produced - before, stalled, 'the producer is parked');
      assert.ok(stalled < 5000, `produced ${stalled} entries for a client that read one`);
      await iter.return?.();
    });

    it('cancels the call when the client breaks out of the loop: the handler aborts and closes', async () => {
      const aborted = probe.aborted;
      const closed = probe.closed;
      let n = 0;
      for await (const _ of client.watchEntries({ fromIndex: 0n })) if (++n === 5) break;
      await probe.until(() => probe.aborted > aborted && probe.closed > closed);
    });

    it('cancels the call on an AbortSignal mid-stream', async () => {
      const aborted = probe.aborted;
      const closed = probe.closed;
      const ac = new AbortController();
      let n = 0;
      await rejectsWith(
        (async () => {
          for await (const _ of client.watchCheckpoints({}, { signal: ac.signal })) if (++n === 3) ac.abort();
        })(),
        grpc.status.CANCELLED,
      );
      await probe.until(() => probe.aborted > aborted && probe.closed > closed);
    });
  });

  describe('cancellation and deadlines of unary calls', () => {
    it('rejects with DEADLINE_EXCEEDED and aborts the handler', async () => {
      const aborted = probe.aborted;
      const t0 = Date.now();
      await rejectsWith(client.getCheckpoint({}, { metadata: withMode('slow'), deadline: 150 }), grpc.status.DEADLINE_EXCEEDED);
      assert.ok(Date.now() - t0 < 2000);
      await probe.until(() => probe.aborted > aborted);
    });

    it('accepts an absolute Date deadline', async () => {
      await rejectsWith(
        client.getCheckpoint({}, { metadata: withMode('slow'), deadline: new Date(Date.now() + 100) }),
        grpc.status.DEADLINE_EXCEEDED,
      );
    });

    it('ends a stream with DEADLINE_EXCEEDED and closes the handler iterator', async () => {
      const closed = probe.closed;
      await rejectsWith(
        (async () => {
          for await (const _ of client.watchCheckpoints({}, { deadline: 150 })) {
          }
        })(),
        grpc.status.DEADLINE_EXCEEDED,
      );
      await probe.until(() => probe.closed > closed);
    });

    it('rejects with CANCELLED on abort and aborts the handler', async () => {
      const aborted = probe.aborted;
      const ac = new AbortController();
      const p = client.getCheckpoint({}, { metadata: withMode('slow'), signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      await rejectsWith(p, grpc.status.CANCELLED);
      await probe.until(() => probe.aborted > aborted);
    });

    it('does not start a call whose signal is already aborted', async () => {
      const ac = new AbortController();
      ac.abort();
      await rejectsWith(client.getCheckpoint({}, { signal: ac.signal }), grpc.status.CANCELLED);
      await rejectsWith(
        (async () => {
          for await (const _ of client.watchEntries({}, { signal: ac.signal })) {
          }
        })(),
        grpc.status.CANCELLED,
      );
    });
  });
});

// The typed surface: each method takes the generated request shape and answers the response shape.
export const typeCheck: Partial<ServiceImpl<typeof Ledger>> = {
  // @ts-expect-error a unary handler must answer a Checkpoint, not an InclusionProof field set
  async getCheckpoint() {
    return { hashes: 7 };
  },
};

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Ledger } from '../proto/index.js';
import { addService, createClient, RpcError, type ServiceImpl } from './index.js';
import { INTERNAL_ERROR_MESSAGE } from './rpc-error.js';
import { serviceDefinition } from './service-definition.js';
import {
  CANNED_CHECKPOINT,
  Probe,
  rejectsWith,
  startTestLedger,
  type TestLedger,
  testLedger,
  withMode,
} from './testing.js';

describe('the rpc bridge over loopback with the Ledger descriptor: unary calls and errors', () => {
  let t: TestLedger;
  before(async () => {
    t = await startTestLedger();
  });
  after(() => t.close());

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
      const cp = await t.client.getCheckpoint({});
      assert.equal(cp.origin, CANNED_CHECKPOINT.origin);
      assert.equal(cp.size, 42n);
      assert.deepEqual(cp.rootHash, CANNED_CHECKPOINT.rootHash);
      assert.equal(cp.$typeName, 'ingressledger.v1.Checkpoint');
    });

    it('passes oneof requests and large uint64 values through', async () => {
      const proof = await t.client.getInclusionProof({ leaf: { case: 'index', value: 41n }, treeSize: 0n });
      assert.equal(proof.index, 41n);
      assert.equal(proof.hashes.length, 2);
      const cons = await t.client.getConsistencyProof({ fromSize: 2n ** 64n - 1n, toSize: 2n ** 63n });
      assert.equal(cons.fromSize, 2n ** 64n - 1n);
      assert.equal(cons.toSize, 2n ** 63n);
    });

    it('reports each call to observe with the method name and status', async () => {
      t.observed.length = 0;
      await t.client.getCheckpoint({});
      await rejectsWith(
        t.client.getCheckpoint({}, { metadata: withMode('rpc-error') }),
        grpc.status.NOT_FOUND,
      );
      assert.deepEqual(t.observed, [
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
        await rejectsWith(t.client.getCheckpoint({}, { metadata: withMode(m) }), code);
      });
    }

    it('keeps an RpcError message but never leaks a plain error', async () => {
      const kept = await rejectsWith(
        t.client.getCheckpoint({}, { metadata: withMode('rpc-error') }),
        grpc.status.NOT_FOUND,
      );
      assert.equal(kept.message, 'no such checkpoint');
      t.logged.length = 0;
      const hidden = await rejectsWith(
        t.client.getCheckpoint({}, { metadata: withMode('plain-error') }),
        grpc.status.INTERNAL,
      );
      assert.equal(hidden.message, INTERNAL_ERROR_MESSAGE);
      assert.ok(
        t.logged.some((l) => l.includes('db.sqlite is corrupt')),
        'the real error is t.logged',
      );
    });

    it('passes validation codes from the handler (INVALID_ARGUMENT, OUT_OF_RANGE)', async () => {
      await rejectsWith(
        t.client.getInclusionProof({ leaf: { case: 'leafHash', value: new Uint8Array(31) } }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWith(
        t.client.getInclusionProof({ leaf: { case: 'index', value: 42n } }),
        grpc.status.OUT_OF_RANGE,
      );
    });

    it('ends a stream that fails after a message with INTERNAL, hiding the text', async () => {
      const got: unknown[] = [];
      const err = await rejectsWith(
        (async () => {
          for await (const cp of t.client.watchCheckpoints({}, { metadata: withMode('fail-after-one') }))
            got.push(cp);
        })(),
        grpc.status.INTERNAL,
      );
      assert.equal(got.length, 1);
      assert.equal(err.message, INTERNAL_ERROR_MESSAGE);
    });

    it('rejects a request the client cannot serialize with INVALID_ARGUMENT, before sending', async () => {
      const bad = { fromSize: 'one' as unknown as bigint };
      await rejectsWith(t.client.getConsistencyProof(bad), grpc.status.INVALID_ARGUMENT);
      const tooBig = { fromSize: 2n ** 64n };
      await rejectsWith(t.client.getConsistencyProof(tooBig), grpc.status.INVALID_ARGUMENT);
    });

    it('rejects with UNAVAILABLE when nothing listens', async () => {
      const dead = createClient(Ledger, '127.0.0.1:1');
      await rejectsWith(dead.getCheckpoint({}, { deadline: 2000 }), grpc.status.UNAVAILABLE);
      dead.close();
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

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { rejectsWith, startTestLedger, type TestLedger, withMode } from './testing.js';

describe('server streams, cancellation and deadlines', () => {
  let t: TestLedger;
  before(async () => {
    t = await startTestLedger();
  });
  after(() => t.close());

  describe('server streaming', () => {
    it('delivers many messages in order', async () => {
      let want = 0n;
      for await (const e of t.client.watchEntries({ fromIndex: 1500n })) {
        assert.equal(e.index, want);
        want++;
      }
      assert.equal(want, 1500n);
    });

    it('stops producing while the client does not read (back-pressure)', async () => {
      const before = t.probe.produced;
      const iter = t.client.watchEntries({ fromIndex: 0n })[Symbol.asyncIterator]();
      await iter.next();
      // Buffers (grpc-js, HTTP/2 windows, the socket) fill, then the producer must park.
      let last = -1;
      const limit = Date.now() + 5000;
      while (t.probe.produced !== last && Date.now() < limit) {
        last = t.probe.produced;
        await sleep(200);
      }
      const stalled = t.probe.produced - before;
      assert.equal(t.probe.produced, last, 'the producer is parked');
      assert.ok(stalled < 5000, `produced ${stalled} 1 KiB entries for a client that read one`);
      // Reading resumes the producer.
      for (let i = 0; i < stalled + 10; i++) await iter.next();
      assert.ok(t.probe.produced - before > stalled);
      await iter.return?.();
    });

    it('cancels the call when the client breaks out of the loop: the handler aborts and closes', async () => {
      const aborted = t.probe.aborted;
      const closed = t.probe.closed;
      let n = 0;
      for await (const _ of t.client.watchEntries({ fromIndex: 0n })) if (++n === 5) break;
      await t.probe.until(() => t.probe.aborted > aborted && t.probe.closed > closed);
    });

    it('cancels the call on an AbortSignal mid-stream', async () => {
      const aborted = t.probe.aborted;
      const closed = t.probe.closed;
      const ac = new AbortController();
      let n = 0;
      await rejectsWith(
        (async () => {
          for await (const _ of t.client.watchCheckpoints({}, { signal: ac.signal }))
            if (++n === 3) ac.abort();
        })(),
        grpc.status.CANCELLED,
      );
      await t.probe.until(() => t.probe.aborted > aborted && t.probe.closed > closed);
    });
  });

  describe('cancellation and deadlines of unary calls', () => {
    it('rejects with DEADLINE_EXCEEDED and aborts the handler', async () => {
      const aborted = t.probe.aborted;
      t.observed.length = 0;
      const t0 = Date.now();
      await rejectsWith(
        t.client.getCheckpoint({}, { metadata: withMode('slow'), deadline: 150 }),
        grpc.status.DEADLINE_EXCEEDED,
      );
      assert.ok(Date.now() - t0 < 2000);
      const mine = () => t.observed.filter(([m]) => m === 'GetCheckpoint');
      await t.probe.until(() => t.probe.aborted > aborted && mine().length > 0);
      // The server only sees a reset stream; it labels it by the clock, and event-loop lag on a busy
      // machine can make a timeout look like a plain cancellation (DEADLINE_SLACK_MS).
      assert.equal(mine().length, 1);
      const code = mine()[0]?.[1];
      assert.ok(code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.CANCELLED, `observed ${code}`);
    });

    it('refuses a deadline that is not a finite time, rather than waiting forever', async () => {
      await rejectsWith(t.client.getCheckpoint({}, { deadline: Number.NaN }), grpc.status.INVALID_ARGUMENT);
      await rejectsWith(
        t.client.getCheckpoint({}, { deadline: new Date('not a date') }),
        grpc.status.INVALID_ARGUMENT,
      );
    });

    it('accepts an absolute Date deadline', async () => {
      await rejectsWith(
        t.client.getCheckpoint({}, { metadata: withMode('slow'), deadline: new Date(Date.now() + 100) }),
        grpc.status.DEADLINE_EXCEEDED,
      );
    });

    it('ends a stream with DEADLINE_EXCEEDED and closes the handler iterator', async () => {
      const closed = t.probe.closed;
      await rejectsWith(
        (async () => {
          for await (const _ of t.client.watchCheckpoints({}, { deadline: 150 })) {
          }
        })(),
        grpc.status.DEADLINE_EXCEEDED,
      );
      await t.probe.until(() => t.probe.closed > closed);
    });

    it('rejects with CANCELLED on abort and aborts the handler', async () => {
      const aborted = t.probe.aborted;
      const ac = new AbortController();
      const p = t.client.getCheckpoint({}, { metadata: withMode('slow'), signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      await rejectsWith(p, grpc.status.CANCELLED);
      await t.probe.until(() => t.probe.aborted > aborted);
    });

    it('does not start a call whose signal is already aborted', async () => {
      const ac = new AbortController();
      ac.abort();
      await rejectsWith(t.client.getCheckpoint({}, { signal: ac.signal }), grpc.status.CANCELLED);
      await rejectsWith(
        (async () => {
          for await (const _ of t.client.watchEntries({}, { signal: ac.signal })) {
          }
        })(),
        grpc.status.CANCELLED,
      );
    });
  });
});

// Server streams under load from watchers that open many streams and never read: refused past the
// limits with RESOURCE_EXHAUSTED, and a stalled one ended after the stall timeout, freeing its slot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { peerAddress } from './index.js';
import { rejectsWith, startTestLedger } from './testing.js';

/** Opens a WatchEntries stream, reads one entry, and then reads no more (a stalled watcher). */
async function stalledWatcher(t: Awaited<ReturnType<typeof startTestLedger>>) {
  const iter = t.client.watchEntries({ fromIndex: 0n })[Symbol.asyncIterator]();
  await iter.next();
  return iter;
}

describe('server stream limits', () => {
  it('reads the address of a grpc-js peer', () => {
    assert.equal(peerAddress('ipv4:127.0.0.1:5000'), '127.0.0.1');
    assert.equal(peerAddress('ipv6:[::1]:5000'), '[::1]');
    assert.equal(peerAddress('127.0.0.1:5000'), '127.0.0.1');
    assert.equal(peerAddress('unix:/tmp/x.sock'), 'unix:/tmp/x.sock');
  });

  it('refuses a client past its own limit of streams, and lets it open one once another ends', async () => {
    const t = await startTestLedger({
      streams: { maxStreams: 100, maxStreamsPerPeer: 3, stallTimeoutMs: 60_000 },
    });
    try {
      const open = [await stalledWatcher(t), await stalledWatcher(t), await stalledWatcher(t)];
      await rejectsWith(stalledWatcher(t), grpc.status.RESOURCE_EXHAUSTED);
      await open.pop()?.return?.();
      await t.probe.until(() => t.probe.closed >= 1);
      open.push(await stalledWatcher(t));
      for (const i of open) await i.return?.();
    } finally {
      t.close();
    }
  });

  it('refuses streams past the server-wide limit', async () => {
    const t = await startTestLedger({
      streams: { maxStreams: 2, maxStreamsPerPeer: 100, stallTimeoutMs: 60_000 },
    });
    try {
      const open = [await stalledWatcher(t), await stalledWatcher(t)];
      const err = await rejectsWith(stalledWatcher(t), grpc.status.RESOURCE_EXHAUSTED);
      assert.match(err.message, /server streams at their limit \(2\)/);
      for (const i of open) await i.return?.();
    } finally {
      t.close();
    }
  });

  it('ends stalled watchers after the stall timeout, so many of them stay bounded', async () => {
    const t = await startTestLedger({
      streams: { maxStreams: 20, maxStreamsPerPeer: 20, stallTimeoutMs: 500 },
    });
    try {
      const closedBefore = t.probe.closed;
      const stalled = await Promise.all(Array.from({ length: 20 }, () => stalledWatcher(t)));
      // Every stalled stream's producer is stopped and its slot freed...
      await t.probe.until(() => t.probe.closed - closedBefore >= 20);
      // ...so new watchers are served again.
      const fresh = await stalledWatcher(t);
      await fresh.return?.();
      for (const i of stalled) await i.return?.().catch(() => undefined);
    } finally {
      t.close();
    }
  });
});

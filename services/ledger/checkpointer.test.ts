import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../packages/runtime/index.js';
import { generateKey, leafHash } from '../../packages/tlog/index.js';
import { Checkpointer, type PublishedCheckpoint } from './checkpointer.js';
import { withoutWitnesses } from './cosigning.js';
import { LogStore } from './store.js';

const INTERVAL_MS = 1000;

function append(store: LogStore, id: string): void {
  const leaf = new TextEncoder().encode(id);
  store.append([{ leaf, leafHash: leafHash(leaf), identity: `c/${id}`, bodies: new Map() }]);
}

describe('the checkpointer', () => {
  let dir: string;
  let store: LogStore;
  let cp: Checkpointer;
  const published: { size: bigint; at: number }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'il-checkpointer-'));
    store = new LogStore(dir);
    cp = new Checkpointer({
      store,
      key: generateKey('test.local/log'),
      origin: 'test.local/log',
      cosigner: withoutWitnesses,
      nc: undefined,
      logger: silentLogger(),
      metrics: undefined,
      intervalMs: INTERVAL_MS,
    });
    cp.subscribe((c: PublishedCheckpoint) => published.push({ size: c.size, at: performance.now() }));
    await cp.start();
  });
  after(async () => {
    await cp?.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('when the tree grows long after the last signature', () => {
    it('signs at once on notify, not at the next tick', async () => {
      await new Promise((r) => setTimeout(r, INTERVAL_MS * 1.2));
      const from = published.length;
      append(store, 'a');
      const appendedAt = performance.now();
      cp.notify();
      while (published.length === from) await new Promise((r) => setTimeout(r, 5));
      assert.equal(published.at(-1)?.size, 1n);
      assert.ok((published.at(-1)?.at ?? 0) - appendedAt < INTERVAL_MS / 2.5, 'signed well before a tick');
    });
  });

  describe('when the tree grows right after a signature', () => {
    it('still keeps at least the interval between two signatures', async () => {
      const from = published.length;
      append(store, 'b');
      cp.notify();
      append(store, 'c');
      cp.notify();
      while (published.length < from + 1) await new Promise((r) => setTimeout(r, 5));
      const last = published.at(-1);
      const before = published.at(-2);
      assert.equal(last?.size, 3n);
      assert.ok(last !== undefined && before !== undefined);
      // Timers may fire a little early: a few ms of slack.
      assert.ok(
        last.at - before.at >= INTERVAL_MS - 5,
        `signed ${last.at - before.at} ms after the previous`,
      );
    });
  });
});

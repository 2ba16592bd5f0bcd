import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHANGE_SCHEMA, type Change } from '../../packages/change/index.js';
import { silentLogger } from '../../packages/runtime/index.js';
import { generateKey, leafHash } from '../../packages/tlog/index.js';
import { Checkpointer, type PublishedCheckpoint } from './checkpointer.js';
import { withoutWitnesses } from './cosigning.js';
import { LogStore } from './store.js';

const INTERVAL_MS = 1000;

function change(auditID: string): Change {
  return {
    schema: CHANGE_SCHEMA,
    cluster: 'c',
    auditID,
    verb: 'create',
    action: 'create',
    object: {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'ingresses',
      namespace: 'n',
      name: auditID,
      uid: 'u',
      resourceVersion: '1',
    },
    user: { username: 'u' },
    sourceIPs: [],
    userAgent: 'test',
    requestReceivedTimestamp: '2025-03-14T09:00:00.000001Z',
    stageTimestamp: '2025-03-14T09:00:00.000002Z',
    responseCode: 201,
    reason: null,
    request: null,
    response: null,
    source: 'audit-webhook',
    observedAt: '2025-03-14T09:00:01.000Z',
  };
}

function append(store: LogStore, id: string): void {
  const leaf = new TextEncoder().encode(id);
  store.append([
    { leaf, leafHash: leafHash(leaf), identity: `c/${id}`, change: change(id), bodies: new Map() },
  ]);
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

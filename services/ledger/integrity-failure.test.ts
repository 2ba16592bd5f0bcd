// A store that contradicts a checkpoint the ledger signed: the checkpointer must stop publishing and
// say so loudly (readiness reason, integrity metric), not fail silently while ingest goes on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { silentLogger } from '../../packages/runtime/index.js';
import { formatCheckpoint, generateKey, leafHash, signNote } from '../../packages/tlog/index.js';
import { Checkpointer } from './checkpointer.js';
import { withoutWitnesses } from './cosigning.js';
import { ledgerMetrics } from './metrics.js';
import { LogStore } from './store.js';

function append(store: LogStore, id: string): void {
  const leaf = new TextEncoder().encode(id);
  store.append([{ leaf, leafHash: leafHash(leaf), identity: `c/${id}`, bodies: new Map() }]);
}

describe('a store that contradicts a signed checkpoint', () => {
  it('fails readiness with the reason and sets the integrity metric to 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-integrity-'));
    const store = new LogStore(dir);
    const key = generateKey('test.local/log');
    const registry = new Registry();
    const metrics = ledgerMetrics(registry, () => 0);
    const cp = new Checkpointer({
      store,
      key,
      origin: 'test.local/log',
      cosigner: withoutWitnesses,
      nc: undefined,
      logger: silentLogger(),
      metrics,
      intervalMs: 10,
    });
    try {
      append(store, 'a');
      await cp.start();
      assert.equal(
        (await registry.getSingleMetric('ingress_ledger_ledger_integrity_ok')?.get())?.values[0]?.value,
        1,
      );
      // A signed checkpoint of size 2 whose root is not the store's (as if the store lost a
      // different second entry than the one that was signed).
      const forged = signNote(
        formatCheckpoint({
          origin: 'test.local/log',
          size: 2n,
          rootHash: new Uint8Array(32).fill(7),
          extensions: [],
        }),
        key,
      );
      store.addCheckpoint({ size: 2n, note: forged });
      append(store, 'b');
      append(store, 'c');
      cp.notify();
      const until = Date.now() + 10_000;
      while (cp.roundCheck() === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.match(cp.roundCheck() ?? '', /^store integrity: /);
      assert.equal(
        (await registry.getSingleMetric('ingress_ledger_ledger_integrity_ok')?.get())?.values[0]?.value,
        0,
      );
      assert.equal(cp.published?.size, 1n, 'the last good checkpoint stays published');
    } finally {
      await cp.stop().catch(() => undefined);
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

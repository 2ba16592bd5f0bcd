// Index failures never block ingest: a write that fails is undone alone and counted; odd change
// shapes are indexed as far as they go.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change } from '../../../packages/change/index.js';
import { changeOf } from '../../../packages/risk/testing/index.js';
import { openTestLedger } from '../testing/index.js';

describe('when indexing an entry fails', () => {
  it('returns the findings and keeps the earlier rows when a row cannot be written', () => {
    const l = openTestLedger();
    try {
      const c = changeOf({
        object: { kind: 'Ingress', metadata: { name: 'a' }, spec: { rules: [{ host: '*.x.com' }] } },
      });
      l.append([c]);
      // The same index again: its rows already exist, so the write fails inside its savepoint.
      const out = l.db.transaction(() => l.index.add([{ index: 0n, change: c, bodies: new Map() }]))();
      assert.equal(out.length, 1);
      assert.equal((l.db.prepare('SELECT count(*) AS n FROM search_entries').get() as { n: bigint }).n, 1n);
    } finally {
      l.close();
    }
  });

  it('indexes changes whose bodies are garbage', () => {
    const l = openTestLedger();
    try {
      const base = changeOf({ object: { kind: 'Ingress', metadata: { name: 'b' } } });
      const odd: Change[] = [
        { ...base, auditID: 'o1', response: 'a string' },
        { ...base, auditID: 'o2', response: { sha256: 'ff'.repeat(32), size: 10 } },
        { ...base, auditID: 'o3', response: { metadata: 7, spec: [] }, request: [1, 2] },
        { ...base, auditID: 'o4', stageTimestamp: 'yesterday' },
      ];
      const out = l.append(odd);
      assert.equal(out.length, odd.length);
      assert.equal((l.db.prepare('SELECT count(*) AS n FROM search_entries').get() as { n: bigint }).n, 4n);
    } finally {
      l.close();
    }
  });
});

// A denied-attempt burst that straddles a ledger restart is reported as reindex reports it: the new
// SearchIndex replays the denials still inside the window from its own tables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../packages/runtime/index.js';
import { denial, openTestLedger } from '../testing/index.js';
import { SearchIndex } from './search-index.js';

const bursts = (out: { findings: { rule: string; message: string }[] }[]) =>
  out.flatMap((o) => o.findings).filter((f) => f.rule === 'denied-attempt' && f.message.startsWith('burst'))
    .length;

describe('denied-attempt bursts across a restart', () => {
  it('counts the denials logged before the restart', () => {
    const l = openTestLedger();
    try {
      assert.equal(bursts(l.append([denial(1), denial(2), denial(3), denial(4)])), 0);
      // The ledger restarts: a new index on the same database, as startLedger builds it.
      const restarted = new SearchIndex(l.db, { logger: silentLogger() });
      const out = l.db.transaction(() =>
        restarted.add([{ index: l.size(), change: denial(5), bodies: new Map() }]),
      )();
      assert.equal(bursts(out), 1, 'the fifth denial within 60 s is the burst');
    } finally {
      l.close();
    }
  });
});

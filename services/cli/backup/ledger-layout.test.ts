// The backup's copy of the ledger's layout is the ledger's: same file name, same node keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeId } from '../../ledger/schema.js';
import { DB_FILE } from '../../ledger/store.js';
import { LEDGER_DB_FILE, storedNodeId } from './ledger-layout.js';

describe('the ledger layout the backup reads', () => {
  it('names the database file as the ledger does', () => {
    assert.equal(LEDGER_DB_FILE, DB_FILE);
  });

  it('keys every node as the ledger does, from leaves to the top of the largest tree', () => {
    const indexes = [0n, 1n, 2n, 3n, 7n, 1000n, 123_456_789n, (1n << 40n) - 1n];
    for (let level = 0; level < 62; level++) {
      for (const index of indexes) {
        if (index >= 1n << BigInt(62 - level)) continue;
        assert.equal(storedNodeId(level, index), nodeId(level, index), `(${level}, ${index})`);
      }
    }
  });
});

// The whole-system fault suite (issue 16): the ledger's whole data dir restored from a copy taken
// earlier under load, as a disk or VM snapshot is restored (store and published-checkpoint file
// together, so the ledger's own mark check passes). The witness, with its own state, has cosigned
// more since: the ledger refuses to start and says why, and nothing is appended to the old store
// (a ledger on it would have skipped what JetStream had already delivered). With the real data dir
// back, every acknowledged event is in the log exactly once and the checkpoints stay consistent.
import assert from 'node:assert/strict';
import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { publishedMarkPath } from '../services/ledger/published-mark.js';
import { LogStore } from '../services/ledger/store.js';
import { assertPromiseKept, describeSystem, SteadyLoad, sleep, until } from './support/system.js';

/** Entries and signed checkpoints of the store in `dir` (no ledger may run on it). */
function storeState(dir: string): { size: bigint; checkpoints: number } {
  const store = new LogStore(dir);
  try {
    return { size: store.size, checkpoints: store.checkpoints().length };
  } finally {
    store.close();
  }
}

describeSystem('faults: the ledger data dir restored from an older copy', {}, (t) => {
  it('refuses to start, appends nothing, and loses nothing once the real data dir is back', async () => {
    const load = new SteadyLoad(t.system.webhook, t.system.token, 'rollback');
    load.start();
    const api = t.system.api();
    const snapshot = join(t.system.dir, 'ledger-snapshot');
    const aside = join(t.system.dir, 'ledger-aside');
    try {
      await sleep(2000);
      // A crash-consistent copy under load, as a snapshot takes it: the ledger frozen meanwhile.
      t.system.ledger.signal('SIGSTOP');
      try {
        cpSync(t.system.ledgerDir, snapshot, { recursive: true });
      } finally {
        t.system.ledger.signal('SIGCONT');
      }
      assert.ok(existsSync(publishedMarkPath(snapshot)), 'the copy holds the published-checkpoint mark');
      const snapshotState = storeState(snapshot);
      // The log grows past the copy, and the witness cosigns it.
      const grown = snapshotState.size + 200n;
      await until(60_000, 'the log published past the copy', async () =>
        (await api.getCheckpoint()).size > grown ? true : undefined,
      );
      await t.system.ledger.kill('SIGKILL');

      renameSync(t.system.ledgerDir, aside);
      cpSync(snapshot, t.system.ledgerDir, { recursive: true });
      const before = storeState(t.system.ledgerDir);
      await assert.rejects(t.system.ledger.start(), (err: Error) => {
        assert.match(err.message, /ledger exited 1/);
        assert.match(
          err.message,
          new RegExp(
            `w1 \\(rollback: the witness cosigned size \\d+; this store holds ${before.size} entries\\)`,
          ),
        );
        assert.match(err.message, /restored from an older copy/);
        return true;
      });
      assert.deepEqual(storeState(t.system.ledgerDir), before, 'nothing appended, nothing signed');
      assert.ok(load.acked.size > 0, 'the webhook kept answering meanwhile (JetStream holds the events)');

      // The operator puts the real data dir back; the ledger catches up from JetStream.
      rmSync(t.system.ledgerDir, { recursive: true, force: true });
      renameSync(aside, t.system.ledgerDir);
      await t.system.ledger.start();
      await sleep(1500);
    } finally {
      api.close();
      await load.stop();
    }
    await assertPromiseKept(t.system, load.acked, () => t.system.audit());
  });
});

// Backup and restore end to end: a real nats-server and ledger (in process), signed changes
// published while `ingress-ledger backup` (the executable) copies the running ledger's database;
// then a second ledger on a directory holding only that copy, audited by `ingress-ledger audit`
// with the state an auditor saved from the original. The restored ledger re-reads the change
// stream from the start (its durable consumer removed, as docs/operations.md says), so it must
// come back to the very tree the original had signed.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import { CHANGES_STREAM, changesSubject, LEDGER_CONSUMER, silentLogger } from '../packages/runtime/index.js';
import { jsonLines, runCli } from '../services/cli/testing/run-cli.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { DB_FILE } from '../services/ledger/store.js';
import { hex, ledgerSettings, makeChange, setupKeys, signChange, stopLedgerRig } from './ledger-fixtures.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const ORIGIN = 'ledger.test/backup';
const BEFORE = 1500; // changes in the log when the auditor saves its state
const MIN_DURING = 1000; // changes published at least after that, while the backup runs
const CHUNK = 25;

describe('backup of a running ledger, restored', {
  skip: haveNatsServer() ? false : 'no nats-server',
}, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let original: RunningLedger | undefined;
  let restored: RunningLedger | undefined;
  const keys = setupKeys(ORIGIN, ['c1']);
  const policyFile = join(keys.dir, 'policy');
  const stateFile = join(keys.dir, 'audit.state');
  const backupFile = join(keys.dir, 'backups', 'ledger.sqlite');
  let next = 0;
  let total = 0;

  const start = (dataDir: string) =>
    startLedger(
      ledgerConfig(
        ledgerSettings(keys, nats.url, {
          'data-dir': dataDir,
          'checkpoint-interval': '50ms',
          'batch-age': '20ms',
          'verify-workers': '1',
        }),
      ),
      { logger: silentLogger() },
    );

  /** Publishes `n` more signed changes and waits for every JetStream ack. */
  async function publish(n: number): Promise<void> {
    const js = jetstream(nc);
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++, next++) {
      const leaf = signChange(makeChange('c1', `b${next}`), keys.collectors.get('c1')!);
      acks.push(js.publish(changesSubject('c1'), leaf, { msgID: `c1/b${next}` }));
    }
    await Promise.all(acks);
  }

  /** The published checkpoint once it covers `size` entries. */
  async function checkpointAt(ledger: RunningLedger, size: number) {
    const client = createClient(Ledger, ledger.grpcAddress);
    try {
      const until = Date.now() + 30_000;
      for (;;) {
        const c = await client.getCheckpoint({});
        if (c.size >= BigInt(size)) return c;
        if (Date.now() > until) throw new Error(`tree size ${c.size} never reached ${size}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      client.close();
    }
  }

  const audit = (ledger: RunningLedger) =>
    runCli(
      [
        'audit',
        '--grpc',
        ledger.grpcAddress,
        '--policy',
        policyFile,
        '--collector-vkeys',
        keys.collectorKeysFile,
        '--state',
        stateFile,
        '--json',
      ],
      { timeoutMs: 60_000 },
    );

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    writeFileSync(policyFile, `log ${keys.logKey.vkey}\nquorum none\n`);
    mkdirSync(join(keys.dir, 'backups'));
    original = await start(join(keys.dir, 'data'));
  });

  after(async () => {
    await restored?.close();
    await original?.close();
    await stopLedgerRig({ nc, nats, dir: keys.dir });
  });

  it('copies the running ledger while changes arrive, and the copy checks', async (t) => {
    assert.ok(original);
    await publish(BEFORE);
    await checkpointAt(original, BEFORE);
    const first = await audit(original);
    assert.equal(first.status, 0, first.stderr);

    // Changes keep arriving, a chunk every 20 ms, from before the copy starts until after it ends.
    let copying = true;
    const arriving = (async () => {
      while (copying || next < BEFORE + MIN_DURING) {
        await publish(CHUNK);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await checkpointAt(original, BEFORE + CHUNK);
    const r = await runCli(['backup', '--data-dir', join(keys.dir, 'data'), '--out', backupFile, '--json']);
    copying = false;
    await arriving;
    total = next;
    assert.equal(r.status, 0, r.stderr);
    const j = jsonLines(r.stdout)[0] as { treeSize: number; checkpoint: { size: number }; bytes: number };
    assert.ok(j.checkpoint.size > BEFORE, `checkpoint ${j.checkpoint.size} in the copy`);
    assert.ok(j.treeSize < total, `tree size ${j.treeSize} in the copy, ${total} published`);
    assert.ok(j.treeSize >= j.checkpoint.size);
    t.diagnostic(
      `copy: tree size ${j.treeSize} of ${total}, checkpoint ${j.checkpoint.size}, ${j.bytes} bytes`,
    );
    assert.equal(statSync(backupFile).mode & 0o777, 0o600);
    assert.equal(statSync(backupFile).size, j.bytes);
    assert.deepEqual(readdirSync(join(keys.dir, 'backups')), ['ledger.sqlite']);
  });

  it('a ledger on only the restored copy re-reads the stream to the same tree, and audits clean', async () => {
    assert.ok(original);
    const last = await checkpointAt(original, total);
    await original.close();
    original = undefined;

    const restoredDir = join(keys.dir, 'restored');
    mkdirSync(restoredDir);
    copyFileSync(backupFile, join(restoredDir, DB_FILE));
    // Without its consumer the restored ledger reads the stream from the first message; what the
    // copy already holds are duplicates by identity, the rest is appended in stream order again.
    await (await jetstreamManager(nc)).consumers.delete(CHANGES_STREAM, LEDGER_CONSUMER);
    restored = await start(restoredDir);
    const again = await checkpointAt(restored, total);
    assert.equal(again.size, last.size);
    assert.equal(hex(again.rootHash), hex(last.rootHash), 'the same tree as the original signed');

    const r = await audit(restored);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    const report = jsonLines(r.stdout).at(-1) as { ok?: boolean; size?: number; trustedSize?: number };
    assert.equal(report.ok, true, r.stdout);
    assert.equal(report.trustedSize, BEFORE, "consistent with the original's checkpoint the auditor kept");
    assert.equal(report.size, total);
  });
});

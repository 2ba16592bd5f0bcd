// The disaster-recovery drill of docs/operations.md, end to end: a witnessed ledger exports its log
// continuously to a directory; the ledger and its data dir are lost; `ingress-ledger restore`
// rebuilds the data dir from the export alone (and refuses a tampered export or a used data dir);
// a ledger on it, with the same key, goes on appending, and the same witness cosigns the new
// checkpoints, so they are consistent with the ones it cosigned before; the export goes on too.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { changesSubject, silentLogger } from '../packages/runtime/index.js';
import {
  cosignatureVkey,
  generateKey,
  parsePolicy,
  parseVkey,
  verifyCheckpointNote,
} from '../packages/tlog/index.js';
import { runCli } from '../services/cli/testing/run-cli.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { type RunningWitness, startWitness } from '../services/witness/index.js';
import { ledgerSettings, makeChange, setupKeys, signChange, stopLedgerRig } from './ledger-fixtures.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const ORIGIN = 'ledger.test/export-restore';

describe('export, lose everything, restore, go on', {
  skip: haveNatsServer() ? false : 'no nats-server',
  timeout: 240_000,
}, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let witness: RunningWitness;
  let ledger: RunningLedger | undefined;
  const keys = setupKeys(ORIGIN, ['c1']);
  const witnessKey = generateKey('witness.test/w1');
  const policyFile = join(keys.dir, 'policy');
  const exportDir = join(keys.dir, 'export');
  let next = 0;

  const start = (dataDir: string) =>
    startLedger(
      ledgerConfig(
        ledgerSettings(keys, nats.url, {
          'data-dir': dataDir,
          'witness-policy': policyFile,
          'export-to': exportDir,
          'export-interval': '100ms',
          'checkpoint-interval': '50ms',
          'batch-age': '20ms',
          'verify-workers': '1',
        }),
      ),
      { logger: process.env.DEBUG_EXPORT ? pino({ level: 'info' }, pino.destination(2)) : silentLogger() },
    );

  async function publish(n: number): Promise<void> {
    const js = jetstream(nc);
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++, next++) {
      const leaf = signChange(makeChange('c1', `e${next}`), keys.collectors.get('c1')!);
      acks.push(js.publish(changesSubject('c1'), leaf, { msgID: `c1/e${next}` }));
    }
    await Promise.all(acks);
  }

  /** The export's checkpoint, verified against the witness policy, once it covers `size`. */
  async function exportedAt(size: number) {
    const policy = parsePolicy(readFileSync(policyFile, 'utf8'));
    const until = Date.now() + 60_000;
    for (;;) {
      if (existsSync(join(exportDir, 'checkpoint'))) {
        const v = verifyCheckpointNote(readFileSync(join(exportDir, 'checkpoint'), 'utf8'), policy);
        if (v.checkpoint.size >= BigInt(size)) return v;
      }
      if (Date.now() > until) throw new Error(`the export never reached ${size}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    witness = await startWitness(
      {
        dataDir: join(keys.dir, 'witness'),
        listen: '127.0.0.1:0',
        key: witnessKey,
        logs: [parseVkey(keys.logKey.vkey)],
      },
      { logger: pino({ level: 'silent' }) },
    );
    writeFileSync(
      policyFile,
      `log ${keys.logKey.vkey}\nwitness w1 ${cosignatureVkey(witnessKey)} ${witness.url}\nquorum w1\n`,
    );
  });

  after(async () => {
    await ledger?.close();
    await witness?.close();
    await stopLedgerRig({ nc, nats, dir: keys.dir });
  });

  it('exports the witnessed log continuously', async () => {
    ledger = await start(join(keys.dir, 'data'));
    await publish(300);
    const v = await exportedAt(300);
    assert.deepEqual(v.cosigners, ['w1']);
    assert.ok(existsSync(join(exportDir, 'checkpoints/300')));
    assert.ok(existsSync(join(exportDir, 'tile/entries/001.p/44')));
    // An auditor reads the export alone and keeps the checkpoint it trusts.
    const audit = await runCli(
      [
        'audit',
        '--tiles',
        exportDir,
        '--policy',
        policyFile,
        '--collector-vkeys',
        keys.collectorKeysFile,
        '--state',
        join(keys.dir, 'audit.state'),
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(audit.status, 0, `${audit.stdout}${audit.stderr}`);
  });

  it('restore refuses a used data dir, a tampered export, and a key of another log', async () => {
    const used = join(keys.dir, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'x'), 'x');
    const r1 = await runCli(['restore', '--from', exportDir, '--data-dir', used, '--policy', policyFile]);
    assert.equal(r1.status, 2, r1.stderr);

    const tampered = join(keys.dir, 'tampered');
    cpSync(exportDir, tampered, { recursive: true });
    const bundle = join(tampered, 'tile/entries/000');
    chmodSync(bundle, 0o644);
    const b = readFileSync(bundle);
    b[1000] = (b[1000] ?? 0) ^ 1;
    writeFileSync(bundle, b);
    const target = join(keys.dir, 'from-tampered');
    const r2 = await runCli(['restore', '--from', tampered, '--data-dir', target, '--policy', policyFile]);
    assert.equal(r2.status, 1, r2.stderr);
    assert.match(r2.stderr, /leaf \d+ does not match/);
    assert.ok(!existsSync(join(target, 'ledger.sqlite')), 'nothing restored');

    const other = generateKey('other.test/log');
    const otherKey = join(keys.dir, 'other.key');
    writeFileSync(otherKey, `${other.skey}\n`, { mode: 0o600 });
    const r3 = await runCli([
      'restore',
      '--from',
      exportDir,
      '--data-dir',
      target,
      '--policy',
      policyFile,
      '--key',
      otherKey,
    ]);
    assert.equal(r3.status, 2, r3.stderr);
  });

  it('rebuilds the data dir from the export; the ledger goes on and the witness cosigns', async () => {
    assert.ok(ledger);
    const before = await exportedAt(300);
    await ledger.close();
    ledger = undefined;
    rmSync(join(keys.dir, 'data'), { recursive: true, force: true });

    const restoredDir = join(keys.dir, 'restored');
    const r = await runCli(
      [
        'restore',
        '--from',
        exportDir,
        '--data-dir',
        restoredDir,
        '--policy',
        policyFile,
        '--key',
        keys.keyFile,
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`tree size ${before.checkpoint.size}`));

    ledger = await start(restoredDir);
    await publish(50);
    // The export only takes checkpoints with the witness's cosignature, and checks them against
    // the checkpoint it already holds: both say the new tree extends the old one.
    const afterwards = await exportedAt(350);
    assert.equal(afterwards.checkpoint.size, 350n);
    assert.deepEqual(afterwards.cosigners, ['w1']);
    assert.ok(existsSync(join(exportDir, `checkpoints/${before.checkpoint.size}`)));
    assert.ok(existsSync(join(exportDir, 'checkpoints/350')));
    const audit = await runCli([
      'export',
      '--from',
      exportDir,
      '--to',
      join(keys.dir, 'copy'),
      '--policy',
      policyFile,
      '--once',
    ]);
    assert.equal(audit.status, 0, audit.stderr);
  });
});

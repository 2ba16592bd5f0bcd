// Issue 3: crash safety. The ledger runs as a child process and is SIGKILLed at random moments
// during ingest, 5 times; afterwards the log holds every published change exactly once, and every
// checkpoint any run published (seen on NATS) or signed (in SQLite) is consistent with the final tree.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { CHECKPOINTS_SUBJECT, changesSubject, ensureStreams } from '../packages/runtime/index.js';
import {
  leafHash,
  openNote,
  parseCheckpoint,
  parseNote,
  parseVkey,
  verifyConsistency,
} from '../packages/tlog/index.js';
import { DB_FILE, LogStore } from '../services/ledger/store.js';
import { hex, makeChange, setupKeys, signChange } from './ledger-fixtures.js';
import { freePort, haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const TOTAL = 3000;
const KILLS = 5;
const MAIN = new URL('../services/ledger/main.js', import.meta.url).pathname;

describe('ledger crash safety', { skip: haveNatsServer() ? false : 'no nats-server' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const keys = setupKeys('ledger.test/crash', ['c1']);
  const dataDir = join(keys.dir, 'data');
  const leaves: Uint8Array[] = [];
  const notes: string[] = [];
  let grpcPort = 0;

  /** The committed tree size, read while no ledger runs. */
  function committedSize(): bigint {
    const db = new Database(join(dataDir, DB_FILE), { readonly: true, fileMustExist: true });
    try {
      return (
        (db.prepare('SELECT max(size) FROM tree_state').pluck().safeIntegers(true).get() as bigint | null) ??
        0n
      );
    } finally {
      db.close();
    }
  }

  function spawnLedger(): ChildProcess {
    return spawn(
      process.execPath,
      [
        MAIN,
        '--data-dir',
        dataDir,
        '--nats-url',
        nats.url,
        '--grpc-listen',
        `127.0.0.1:${grpcPort}`,
        '--key',
        keys.keyFile,
        '--collector-keys',
        keys.collectorKeysFile,
        '--ack-wait',
        '1s',
        '--batch-size',
        '50',
        '--batch-age',
        '10ms',
        '--checkpoint-interval',
        '30ms',
        '--verify-workers',
        '1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } },
    );
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    grpcPort = await freePort();
    nc.subscribe(CHECKPOINTS_SUBJECT, {
      callback: (_err, m) => {
        notes.push(m.string());
      },
    });
    await ensureStreams(await jetstreamManager(nc));
  });

  after(async () => {
    await nc?.close();
    await nats?.stop({ removeStore: true });
    rmSync(keys.dir, { recursive: true, force: true });
  });

  it('loses and duplicates nothing across 5 SIGKILLs', { timeout: 90_000 }, async () => {
    const js = jetstream(nc);
    const key = keys.collectors.get('c1')!;
    const publish = async (from: number, to: number) => {
      const acks: Promise<unknown>[] = [];
      for (let i = from; i < to; i++) {
        const leaf = signChange(makeChange('c1', `k${i}`), key);
        leaves.push(leaf);
        acks.push(js.publish(changesSubject('c1'), leaf, { msgID: `c1/k${i}` }));
      }
      await Promise.all(acks);
    };

    const perRun = TOTAL / (KILLS + 1);
    let killedMidIngest = 0;
    for (let k = 0; k < KILLS; k++) {
      const child = spawnLedger();
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      // Module loading takes seconds on a busy machine: kill only once it is up and ingesting.
      await new Promise<void>((resolve) => {
        let text = '';
        child.stderr?.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('ledger started')) resolve();
        });
        child.once('exit', () => resolve());
      });
      const before = committedSize();
      const publishing = publish(k * perRun, (k + 1) * perRun);
      // Kill once it has committed something (on a busy machine the first commit can take more than
      // a second), at a random moment of the ingest after that.
      const until = Date.now() + 15_000;
      while (committedSize() === before && Date.now() < until && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      child.kill('SIGKILL');
      await exited;
      await publishing;
      if (committedSize() > before) killedMidIngest++;
    }
    // A kill before any ingest would test nothing: most runs must have committed something.
    assert.ok(killedMidIngest >= 2, `only ${killedMidIngest} runs were ingesting when killed`);
    await publish(KILLS * perRun, TOTAL);

    const child = spawnLedger();
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 30_000;
    const vkey = parseVkey(keys.logKey.vkey);
    for (;;) {
      const last = notes.at(-1);
      if (last !== undefined && parseCheckpoint(openNote(last, [vkey]).note.text).size === BigInt(TOTAL))
        break;
      assert.ok(Date.now() < deadline, `final checkpoint not reached; ${notes.length} notes; ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);

    const store = new LogStore(dataDir);
    try {
      assert.equal(store.size, BigInt(TOTAL));
      const stored = store.entries(0n, store.size).map((e) => hex(e.leaf));
      assert.equal(new Set(stored).size, TOTAL);
      assert.deepEqual([...stored].sort(), leaves.map(hex).sort());
      for (const e of store.entries(0n, store.size)) assert.equal(hex(e.leaf_hash), hex(leafHash(e.leaf)));
      const root = store.root();
      const all = [...notes, ...store.checkpoints().map((c) => c.note)];
      assert.ok(notes.length > KILLS, `only ${notes.length} checkpoints published`);
      for (const note of all) {
        const c = parseCheckpoint(parseNote(note).text);
        if (c.size === 0n) continue;
        verifyConsistency(c.size, store.size, c.rootHash, root, store.consistencyProof(c.size, store.size));
      }
    } finally {
      store.close();
    }
  });
});

// SIGHUP reloads the ledger's --collector-keys (the ledger as its own process, as deployed): a
// change signed by a key that is not in the file goes to INGRESS_REJECTED as UNKNOWN_KEY; once the
// key is added and SIGHUP sent, the next change it signs is appended. A file that cannot be parsed
// (or holds no keys) on SIGHUP changes nothing: the ledger logs the error, keeps the keys it had
// and keeps running.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import {
  changesSubject,
  ensureStreams,
  REJECTION_HEADER,
  rejectedSubject,
} from '../packages/runtime/index.js';
import { generateKey, type PrivateKey } from '../packages/tlog/index.js';
import { makeChange, setupKeys, signChange } from './ledger-fixtures.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const MAIN = new URL('../services/ledger/main.js', import.meta.url).pathname;

type LogLine = Record<string, unknown> & { msg?: string; level?: number };

describe('SIGHUP reload of the collector keys', { skip: haveNatsServer() ? false : 'no nats-server' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const rejections = new Map<string, string>(); // auditID -> Rejection-Reason
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let client: ReturnType<typeof createClient<typeof Ledger>>;
  const keys = setupKeys('ledger.test/sighup', ['c1']);
  const original = keys.collectors.get('c1')!;
  // A rotation: a second key with the same name collector/c1, and a third one later.
  const rotated = generateKey('collector/c1');
  const third = generateKey('collector/c1');
  const log: LogLine[] = [];
  let stderr = '';
  let published = 0;

  /**
   * Waits until a log line satisfies `match`, starting after line `from`; returns its index. The
   * limit is generous because a start on a loaded 2-core machine has taken more than 5 s.
   */
  async function waitForLog(from: number, match: (l: LogLine) => boolean, what: string): Promise<number> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const at = log.findIndex((l, i) => i >= from && match(l));
      if (at >= 0) return at;
      assert.equal(child.exitCode, null, `the ledger exited: ${stderr}`);
      assert.ok(Date.now() < deadline, `no log line "${what}" within 15 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function publish(key: PrivateKey): Promise<string> {
    const id = `hup-${published++}`;
    await jetstream(nc).publish(changesSubject('c1'), signChange(makeChange('c1', id), key), {
      msgID: `c1/${id}`,
    });
    return id;
  }

  /** The reason given on ingress.rejected.c1 for the change `auditID`. */
  async function rejectionOf(auditID: string): Promise<string> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = rejections.get(auditID);
      if (r !== undefined) return r;
      assert.ok(Date.now() < deadline, `${auditID} was not rejected within 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function waitForSize(size: bigint): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((await client.getCheckpoint({})).size < size) {
      assert.ok(Date.now() < deadline, `the log did not reach size ${size} within 5 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends SIGHUP and waits for the ledger's answer in its log. */
  async function hangUp(): Promise<LogLine> {
    const from = log.length;
    child.kill('SIGHUP');
    const at = await waitForLog(from, (l) => /collector keys (not )?reloaded/.test(l.msg ?? ''), 'reload');
    return log[at]!;
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc));
    nc.subscribe(rejectedSubject('c1'), {
      callback: (_err, m) => {
        const change = JSON.parse(m.string().split('\n')[0] ?? '') as { auditID: string };
        rejections.set(change.auditID, m.headers?.get(REJECTION_HEADER) ?? '');
      },
    });
    child = spawn(
      process.execPath,
      [
        MAIN,
        '--data-dir',
        join(keys.dir, 'data'),
        '--nats-url',
        nats.url,
        '--grpc-listen',
        '127.0.0.1:0',
        '--key',
        keys.keyFile,
        '--collector-keys',
        keys.collectorKeysFile,
        '--checkpoint-interval',
        '20ms',
        '--batch-age',
        '5ms',
        '--verify-workers',
        '1',
        '--search',
        'off',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } },
    );
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let partial = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          log.push(JSON.parse(line) as LogLine);
        } catch {
          log.push({ msg: line });
        }
      }
    });
    const started = log[await waitForLog(0, (l) => l.msg === 'ledger started', 'ledger started')]!;
    client = createClient(Ledger, String(started.grpc));
  });

  after(async () => {
    client?.close();
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    await nc?.close();
    await nats?.stop({ removeStore: true });
    rmSync(keys.dir, { recursive: true, force: true });
  });

  it('rejects a change signed by a key not in the file as UNKNOWN_KEY', async () => {
    assert.match(await rejectionOf(await publish(rotated)), /^UNKNOWN_KEY: /);
    await publish(original);
    await waitForSize(1n);
  });

  it('accepts changes signed by that key once it is added and SIGHUP sent', async () => {
    appendFileSync(keys.collectorKeysFile, `${rotated.vkey}\n`);
    const answer = await hangUp();
    assert.equal(answer.msg, 'collector keys reloaded');
    assert.equal(answer.keys, 2);
    await publish(rotated);
    await waitForSize(2n);
  });

  const badFiles: [string, () => void][] = [
    [
      'has a line that is not a vkey',
      () => {
        const good = readFileSync(keys.collectorKeysFile, 'utf8');
        writeFileSync(keys.collectorKeysFile, `${good}${third.vkey}\nnot-a-vkey\n`);
      },
    ],
    ['holds no keys', () => writeFileSync(keys.collectorKeysFile, '# being rewritten\n')],
    ['is missing', () => rmSync(keys.collectorKeysFile)],
  ];
  let size = 2n;
  for (const [name, spoil] of badFiles) {
    it(`keeps the keys it had, logs an error and runs on when the file ${name}`, async () => {
      const good = readFileSync(keys.collectorKeysFile, 'utf8');
      spoil();
      const answer = await hangUp();
      assert.equal(answer.msg, 'collector keys not reloaded; the previous keys stay');
      assert.equal(answer.level, 50); // pino's "error"
      assert.match(String(answer.err), /^--collector-keys: /);
      assert.equal(child.exitCode, null);
      // Both keys it had still work; a key only the bad file names does not.
      await publish(original);
      await publish(rotated);
      size += 2n;
      await waitForSize(size);
      assert.match(await rejectionOf(await publish(third)), /^UNKNOWN_KEY: /);
      writeFileSync(keys.collectorKeysFile, good);
    });
  }

  it('still stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  });
});

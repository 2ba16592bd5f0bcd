// Alerts end to end (issue 15): a change that fires nginx-snippet goes through JetStream, the
// ledger's log, search index and alert relay into INGRESS_ALERTS, and the notify service POSTs it to
// a webhook receiver within 1 s of the checkpoint that covers it, with every field of the payload.
// Then the ledger runs as a child process and is SIGKILLed while alerts flow: every alert still
// reaches the receiver. Real nats-server, SQLite and HTTP on loopback.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Change } from '../packages/change/index.js';
import {
  ALERTS_STREAM,
  type Alert,
  CHECKPOINTS_SUBJECT,
  changesSubject,
  DEAD_ALERTS_STREAM,
  decodeAlert,
  ensureStreams,
} from '../packages/runtime/index.js';
import { openNote, parseCheckpoint, parseVkey } from '../packages/tlog/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { notifyConfig, type RunningNotify, startNotify } from '../services/notify/index.js';
import { Receiver } from '../services/notify/testing.js';
import { type KeySetup, makeChange, setupKeys, signChange } from './ledger-fixtures.js';
import { freePort, haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const CLUSTER = 'c1';
const SNIPPET = 'nginx.ingress.kubernetes.io/configuration-snippet';
const MAIN = new URL('../services/ledger/main.js', import.meta.url).pathname;
const silent = pino({ level: 'silent' });

/** A create of an Ingress with a configuration snippet, made through impersonation, with a reason. */
function snippetChange(auditID: string): Change {
  const base = makeChange(CLUSTER, auditID);
  // One object per change: a snippet that is already there on the same object is no finding.
  const c = { ...base, object: { ...base.object, name: `web-${auditID}` } };
  const metadata = {
    name: c.object.name,
    namespace: 'shop',
    uid: c.object.uid,
    resourceVersion: '42',
    annotations: {
      [SNIPPET]: 'more_set_headers "X-Debug: on";',
      'ingress-ledger.dev/reason': 'hotfix CHG-7',
    },
  };
  const spec = { ingressClassName: 'nginx', rules: [{ host: 'shop.example.com' }] };
  return {
    ...c,
    verb: 'create',
    action: 'create',
    responseCode: 201,
    impersonatedUser: { username: 'system:serviceaccount:ci:deployer' },
    sourceIPs: ['10.0.0.7', '192.0.2.1'],
    reason: 'hotfix CHG-7',
    request: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { ...metadata, uid: undefined, resourceVersion: undefined },
      spec,
    },
    response: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata, spec },
  };
}

describe('alerts end to end', { skip: haveNatsServer() ? false : 'nats-server is not installed' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let keys: KeySetup;
  let receiver: Receiver;
  let notify: RunningNotify | undefined;
  /** Every checkpoint published, with when it was seen. */
  const checkpoints: { size: bigint; at: number; note: string }[] = [];
  const secretFile = () => {
    const p = join(keys.dir, 'hook.secret');
    writeFileSync(p, 'hook-secret\n', { mode: 0o600 });
    return p;
  };

  before(async () => {
    keys = setupKeys('alerts.test/log', [CLUSTER]);
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc));
    const vkey = parseVkey(keys.logKey.vkey);
    nc.subscribe(CHECKPOINTS_SUBJECT, {
      callback: (_err, m) => {
        const note = m.string();
        checkpoints.push({
          size: parseCheckpoint(openNote(note, [vkey]).note.text).size,
          at: Date.now(),
          note,
        });
      },
    });
  });

  after(async () => {
    await nc?.close();
    await nats?.stop({ removeStore: true });
    if (keys) rmSync(keys.dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    notifyRegistry = new Registry();
    receiver = await new Receiver().start();
  });

  afterEach(async () => {
    await notify?.close();
    notify = undefined;
    await receiver.stop();
  });

  const startNotifyTo = async () => {
    notify = await startNotify(
      notifyConfig({
        'nats-url': nats.url,
        'alerts-webhook': `${receiver.url}/alerts`,
        'alerts-webhook-secret-file': secretFile(),
        'alerts-webhook-rules': 'nginx-snippet',
        'retry-backoff': '50ms',
        'retry-backoff-max': '500ms',
      }),
      { logger: silent, registry: notifyRegistry },
    );
  };
  let notifyRegistry = new Registry();
  const diagnose = async () => {
    const jsm = await jetstreamManager(nc);
    const ci = await jsm.consumers.info(ALERTS_STREAM, 'notify-webhook');
    const si = await jsm.streams.info(ALERTS_STREAM);
    return `stream ${si.state.messages} msgs; consumer pending ${ci.num_pending} ack-pending ${ci.num_ack_pending} redelivered ${ci.num_redelivered} delivered ${ci.delivered.stream_seq}; metrics ${await notifyRegistry.metrics()}`.slice(
      0,
      6000,
    );
  };
  const publishChange = (c: Change) =>
    jetstream(nc).publish(changesSubject(CLUSTER), signChange(c, keys.collectors.get(CLUSTER)!), {
      msgID: `${CLUSTER}/${c.auditID}`,
    });

  it('brings a nginx-snippet finding to the webhook within 1 s of its checkpoint, with every field', async () => {
    const ledger: RunningLedger = await startLedger(
      ledgerConfig({
        'data-dir': join(keys.dir, 'in-process'),
        'nats-url': nats.url,
        'grpc-listen': '127.0.0.1:0',
        key: keys.keyFile,
        'collector-keys': keys.collectorKeysFile,
        'checkpoint-interval': '50ms',
        'verify-workers': '1',
        'console-url': 'https://console.example/ui/',
      }),
      { logger: silent, registry: new Registry() },
    );
    try {
      await startNotifyTo();
      const change = snippetChange('e2e-snippet-1');
      await publishChange(change);
      await receiver.waitFor(1, 30_000);
      const r = receiver.received[0]!;
      const a = decodeAlert(r.body);
      assert.ok(a, r.body);
      assert.equal(
        r.headers['x-ingress-ledger-signature'],
        `sha256=${createHmac('sha256', 'hook-secret').update(r.body).digest('hex')}`,
      );
      const expected: Omit<Alert, 'checkpoint' | 'index'> = {
        id: `${CLUSTER}/e2e-snippet-1/nginx-snippet`,
        rule: 'nginx-snippet',
        severity: a.severity,
        message: a.message,
        path: a.path,
        cluster: CLUSTER,
        object: change.object,
        verb: 'create',
        action: 'create',
        user: 'alice@example.com',
        impersonatedUser: 'system:serviceaccount:ci:deployer',
        reason: 'hotfix CHG-7',
        stageTimestamp: change.stageTimestamp,
        auditID: 'e2e-snippet-1',
        sourceIPs: ['10.0.0.7', '192.0.2.1'],
        responseCode: 201,
        consoleUrl: 'https://console.example/ui/?object=shop%2F' + change.object.name + '&cluster=c1',
      };
      const { checkpoint, index, ...rest } = a;
      assert.deepEqual(rest, expected);
      assert.ok(['critical', 'high'].includes(a.severity));
      assert.ok(a.message.length > 0);
      assert.equal(index, 0n);
      // The checkpoint it names was published, covers the entry, and came first.
      const cp = checkpoints.find((c) => c.note === checkpoint.note);
      assert.ok(cp, 'the alert names a published checkpoint');
      assert.ok(checkpoint.size > index);
      assert.equal(cp.size, checkpoint.size);
      const first = checkpoints.find((c) => c.size > index)!;
      const delay = r.at - first.at;
      assert.ok(delay >= -5, `delivered ${-delay}ms before its checkpoint was published`);
      assert.ok(delay < 1000, `delivered ${delay}ms after its checkpoint`);
    } finally {
      await ledger.close();
    }
  });

  it('loses no alert when the ledger is SIGKILLed while they flow', { timeout: 120_000 }, async () => {
    const dataDir = join(keys.dir, 'child');
    const grpcPort = await freePort();
    const spawnLedger = (): ChildProcess =>
      spawn(
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
          '--checkpoint-interval',
          '30ms',
          '--batch-size',
          '10',
          '--batch-age',
          '10ms',
          '--verify-workers',
          '1',
          '--ack-wait',
          '1s',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    let logs = '';
    const started = (child: ChildProcess) =>
      new Promise<void>((resolve) => {
        let text = '';
        child.stderr?.on('data', (d: Buffer) => {
          text += d.toString();
          logs += d.toString();
          if (text.includes('ledger started')) resolve();
        });
        child.once('exit', () => resolve());
      });
    await startNotifyTo();
    const TOTAL = 60;
    const KILLS = 3;
    const per = TOTAL / (KILLS + 1);
    for (let k = 0; k < KILLS; k++) {
      const child = spawnLedger();
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      await started(child);
      const seen = receiver.received.length;
      for (let i = k * per; i < (k + 1) * per; i++) await publishChange(snippetChange(`kill-${i}`));
      // Kill once alerts flow, at a random moment after that.
      const until = Date.now() + 20_000;
      while (receiver.received.length === seen && Date.now() < until)
        await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.random() * 100));
      child.kill('SIGKILL');
      await exited;
    }
    for (let i = KILLS * per; i < TOTAL; i++) await publishChange(snippetChange(`kill-${i}`));
    const child = spawnLedger();
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      await started(child);
      const ids = () => new Set(receiver.received.map((r) => decodeAlert(r.body)?.id));
      const until = Date.now() + 60_000;
      while (ids().size < TOTAL && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const missing = Array.from({ length: TOTAL }, (_, i) => `${CLUSTER}/kill-${i}/nginx-snippet`).filter(
        (id) => !ids().has(id),
      );
      if (missing.length > 0) console.error(await diagnose());
      assert.deepEqual(
        missing,
        [],
        `${missing.length} alerts never arrived; ledger logs:\n${logs.slice(-6000)}`,
      );
      // At least once, and the stream's dedup window makes repeats rare: never more than one copy
      // of an alert per kill.
      assert.ok(receiver.received.length <= TOTAL + KILLS * per, `${receiver.received.length} deliveries`);
      const jsm = await jetstreamManager(nc);
      assert.equal((await jsm.streams.info(DEAD_ALERTS_STREAM)).state.messages, 0);
      assert.ok((await jsm.streams.info(ALERTS_STREAM)).state.messages >= TOTAL);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

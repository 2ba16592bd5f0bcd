// The NATS server configuration of deploy/kubernetes, as kustomize renders it, on a real
// nats-server: the same nats.conf and auth.conf with only file paths and addresses moved to a temp
// dir (TLS from a throwaway CA), and the users' public nkeys given the way the pod gets them, as
// environment variables. A real ledger and the collector's publisher then show what each user may
// and may not do. A third user without limits (added by the test) watches.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import {
  BODIES_STREAM,
  bodySubject,
  CHANGES_STREAM,
  CHECKPOINTS_SUBJECT,
  changesSubject,
  connectNats,
  ensureStreams,
  LEDGER_CONSUMER,
  REJECTED_STREAM,
  Registry,
  rejectedSubject,
  silentLogger,
} from '../packages/runtime/index.js';
import { generateKey } from '../packages/tlog/index.js';
import { startCollector } from '../services/collector/index.js';
import { StreamAckError, StreamAcks } from '../services/collector/stream-acks.js';
import { ledgerConfig, startLedger } from '../services/ledger/index.js';
import { ingressCreateEvent, postEvents } from './cli-support.js';
import { type KeySetup, ledgerSettings, makeChange, setupKeys, signChange } from './ledger-fixtures.js';
import { haveOpenssl, makeTestPki, NO_OPENSSL } from './support/certs.js';
import {
  find,
  generatedConfigMap,
  inboxPrefixes,
  natsManifestSkip,
  podSpec,
  render,
} from './support/kustomize.js';
import { userNkey } from './support/nats-auth.js';
import { freePort, haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const skip = natsManifestSkip(haveNatsServer(), haveOpenssl(), NO_OPENSSL);

const CLUSTER = 'cluster-a';
const enc = new TextEncoder();
/** The server's answer to a user that goes beyond its permissions. */
const DENIED = /Permissions Violation for Publish/;

describe('the NATS users of deploy/kubernetes on a real nats-server', { skip }, () => {
  let dir = '';
  const f = (name: string) => join(dir, name);
  let server: NatsServer;
  let keys: KeySetup;
  let watcher: NatsConnection;
  let watcherJsm: JetStreamManager;
  let collector: NatsConnection;
  let acks: StreamAcks;
  let ledger: Awaited<ReturnType<typeof startLedger>> | undefined;
  const checkpoints: Msg[] = [];
  const env: string[] = [];

  /** Publishes one message as the collector does, and waits for the stream's answer. */
  async function collectorPublish(subject: string, data: Uint8Array, msgId: string) {
    const batch = acks.batch(Date.now() + 5000);
    try {
      return await batch.publish(subject, data, msgId);
    } finally {
      batch.end();
    }
  }

  async function messages(stream: string): Promise<number> {
    return (await watcherJsm.streams.info(stream)).state.messages;
  }

  async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      assert.ok(Date.now() < deadline, `${what} within 10 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  // Each role's reply inbox prefix, from its rendered settings file.
  let ledgerInbox = '';
  let collectorInbox = '';

  before(async () => {
    const objects = render('overlays/dev');
    const config = generatedConfigMap(objects, 'ingress-ledger-nats-config').data as Record<string, string>;
    ({ ledger: ledgerInbox, collector: collectorInbox } = inboxPrefixes(objects));
    dir = mkdtempSync(join(tmpdir(), 'il-k8s-nats-'));
    makeTestPki(dir);
    const storeDir = mkdtempSync(join(tmpdir(), 'il-k8s-nats-store-'));
    const conf = config['nats.conf']!.replace('/etc/nats/tls/tls.crt', f('server.crt'))
      .replace('/etc/nats/tls/tls.key', f('server.key'))
      .replace(/^ *store_dir: .*$/m, '') // as is the store dir
      .replace('/var/run/nats/nats.pid', join(storeDir, 'nats.pid'))
      .replace('http: 0.0.0.0:8222', `http: 127.0.0.1:${await freePort()}`)
      .replace(/^listen: .*$/m, ''); // the test server's command line gives the address…
    assert.match(conf, /include \.\/auth\.conf/);

    // The public keys come from the pod's environment (ConfigMap ingress-ledger-nats-users).
    const ledgerUser = userNkey();
    const collectorUser = userNkey();
    const nkeyEnv = (
      podSpec(find(objects, 'StatefulSet', 'ingress-ledger-nats')).containers[0].env as {
        name: string;
        valueFrom?: { configMapKeyRef?: { name: string } };
      }[]
    ).filter((e) => e.valueFrom?.configMapKeyRef?.name === 'ingress-ledger-nats-users');
    assert.deepEqual(nkeyEnv.map((e) => e.name).sort(), [
      'COLLECTOR_CLUSTER_A_NKEY',
      'LEDGER_NKEY',
      'NOTIFY_NKEY',
    ]);
    const publicKeys: Record<string, string> = {
      POD_NAME: 'ingress-ledger-nats-0',
      LEDGER_NKEY: ledgerUser.publicKey,
      COLLECTOR_CLUSTER_A_NKEY: collectorUser.publicKey,
      NOTIFY_NKEY: userNkey().publicKey,
    };
    for (const [k, v] of Object.entries(publicKeys)) {
      process.env[k] = v;
      env.push(k);
    }
    const watcherUser = userNkey();
    const auth = config['auth.conf']!.replace(
      /users: \[/,
      `users: [\n    { nkey: ${watcherUser.publicKey} }`,
    );
    writeFileSync(join(storeDir, 'auth.conf'), auth);
    writeFileSync(join(storeDir, 'cluster.conf'), config['cluster.conf']!);
    server = await startNatsServer({ storeDir, config: conf });

    for (const [name, seed] of [
      ['ledger.nk', ledgerUser.seed],
      ['collector.nk', collectorUser.seed],
      ['watcher.nk', watcherUser.seed],
    ] as const) {
      writeFileSync(f(name), `${seed}\n`, { mode: 0o600 });
    }
    const nats = (seed: string, inboxPrefix?: string) => ({
      url: server.url,
      nkeySeedFile: f(seed),
      tlsCaFile: f('ca.crt'),
      ...(inboxPrefix !== undefined ? { inboxPrefix } : {}),
    });
    watcher = await connectNats(nats('watcher.nk'));
    watcherJsm = await jetstreamManager(watcher);
    watcher.subscribe(CHECKPOINTS_SUBJECT, {
      callback: (_, m) => {
        checkpoints.push(m);
      },
    });
    collector = await connectNats(nats('collector.nk', collectorInbox));
    acks = new StreamAcks(collector, collectorInbox);
    keys = setupKeys('ledger.test/k8s', [CLUSTER]);
    keys.collectors.set('cluster-b', generateKey('collector/cluster-b'));
  });

  after(async () => {
    acks?.close();
    await collector?.close();
    await watcher?.close();
    await ledger?.close();
    await server?.stop({ removeStore: true });
    for (const k of env) delete process.env[k];
    if (keys !== undefined) rmSync(keys.dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('a collector cannot create the streams', async () => {
    await assert.rejects(ensureStreams(await jetstreamManager(collector)), DENIED);
    await assert.rejects(watcherJsm.streams.info(CHANGES_STREAM), /stream not found/);
  });

  it('a collector started before the streams exist runs, and answers 503 until the ledger makes them', async () => {
    const early = await startCollector(
      {
        cluster: CLUSTER,
        key: keys.collectors.get(CLUSTER)!,
        nats: {
          url: server.url,
          nkeySeedFile: f('collector.nk'),
          tlsCaFile: f('ca.crt'),
          inboxPrefix: collectorInbox,
        },
        webhookListen: '127.0.0.1:0',
        webhookToken: 'early-token-0123456789',
        workers: 1,
      },
      { logger: silentLogger(), registry: new Registry() },
    );
    try {
      const status = await postEvents(early.webhookUrl, 'early-token-0123456789', [
        ingressCreateEvent('k8s-early', 'shop'),
      ]);
      assert.equal(status, 503);
    } finally {
      await early.close();
    }
  });

  it('the ledger creates the streams and its consumer with its own user', async () => {
    const raw = ledgerSettings(keys, server.url, {
      'nats-nkey-file': f('ledger.nk'),
      'nats-ca-file': f('ca.crt'),
      'nats-inbox-prefix': ledgerInbox,
      'checkpoint-interval': '20ms',
      'batch-age': '5ms',
      'verify-workers': '1',
      search: 'off',
    });
    ledger = await startLedger(ledgerConfig(raw), { logger: silentLogger() });
    for (const s of [CHANGES_STREAM, REJECTED_STREAM, BODIES_STREAM]) await watcherJsm.streams.info(s);
    const consumer = await watcherJsm.consumers.info(CHANGES_STREAM, LEDGER_CONSUMER);
    assert.equal(consumer.config.durable_name, LEDGER_CONSUMER);
  });

  it('collector A starts, publishes its changes with a JetStream ack, and the ledger logs them', async () => {
    await ensureStreams(await jetstreamManager(collector)); // what the collector does at start
    const leaf = signChange(makeChange(CLUSTER, 'k8s-1'), keys.collectors.get(CLUSTER)!);
    const ack = await collectorPublish(changesSubject(CLUSTER), leaf, `${CLUSTER}/k8s-1`);
    assert.equal(ack.stream, CHANGES_STREAM);
    assert.equal(ack.duplicate, false);
    const client = createClient(Ledger, ledger!.grpcAddress);
    try {
      await until('the change is logged', async () => (await client.getCheckpoint({})).size >= 1n);
    } finally {
      client.close();
    }
    await until('a checkpoint is published on ledger.checkpoints', () => checkpoints.length > 0);
    assert.ok(checkpoints.some((m) => m.headers?.get('Log-Origin') === 'ledger.test/k8s'));
  });

  it('collector A publishes its rejections and bodies; the ledger reads a body by subject', async () => {
    const rejected = await collectorPublish(rejectedSubject(CLUSTER), enc.encode('{'), 'rejected/k8s-1');
    assert.equal(rejected.stream, REJECTED_STREAM);
    const sha = 'ab'.repeat(32);
    const body = await collectorPublish(bodySubject(sha), enc.encode('body bytes'), `body/${sha}`);
    assert.equal(body.stream, BODIES_STREAM);
    const asLedger = await connectNats({
      url: server.url,
      nkeySeedFile: f('ledger.nk'),
      tlsCaFile: f('ca.crt'),
      inboxPrefix: ledgerInbox,
    });
    try {
      const jsm = await jetstreamManager(asLedger);
      const msg = await jsm.direct.getMessage(BODIES_STREAM, { last_by_subj: bodySubject(sha) });
      assert.equal(msg?.string(), 'body bytes');
    } finally {
      await asLedger.close();
    }
    // The collector may store bodies but not read them back.
    const jsm = await jetstreamManager(collector);
    await assert.rejects(jsm.direct.getMessage(BODIES_STREAM, { last_by_subj: bodySubject(sha) }), DENIED);
  });

  it("collector A cannot publish another cluster's changes", async () => {
    const before = await messages(CHANGES_STREAM);
    const leaf = signChange(makeChange('cluster-b', 'k8s-2'), keys.collectors.get('cluster-b')!);
    await assert.rejects(collectorPublish(changesSubject('cluster-b'), leaf, 'cluster-b/k8s-2'), (err) => {
      assert.ok(err instanceof StreamAckError);
      assert.equal(err.code, 'REJECTED');
      return true;
    });
    await assert.rejects(collectorPublish(rejectedSubject('cluster-b'), enc.encode('{'), 'rejected/k8s-2'));
    assert.equal(await messages(CHANGES_STREAM), before);
  });

  it('collector A cannot consume the ledger consumer, read changes, or forge checkpoints', async () => {
    const js = jetstream(collector);
    await assert.rejects(js.consumers.get(CHANGES_STREAM, LEDGER_CONSUMER), DENIED);
    await assert.rejects(
      collector.request(`$JS.API.CONSUMER.MSG.NEXT.${CHANGES_STREAM}.${LEDGER_CONSUMER}`, '{"batch":1}', {
        timeout: 2000,
      }),
      /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.MSG\.NEXT\.INGRESS_CHANGES\.ledger"/,
    );
    const jsm = await jetstreamManager(collector);
    await assert.rejects(jsm.streams.delete(CHANGES_STREAM), DENIED);
    await assert.rejects(jsm.consumers.delete(CHANGES_STREAM, LEDGER_CONSUMER), DENIED);
    // A plain subscription to the changes is refused by the server, and so is one to the inboxes
    // where the ledger's pulled changes and PubAcks arrive.
    for (const subject of ['ingress.changes.>', `${ledgerInbox}.>`, '_INBOX.>', '>']) {
      const sub = collector.subscribe(subject);
      assert.match(String(await sub.closed), /Permissions Violation for Subscription/i, subject);
    }
    // A forged checkpoint never reaches a subscriber.
    const seen = checkpoints.length;
    collector.publish(CHECKPOINTS_SUBJECT, 'forged');
    await collector.flush();
    await watcher.flush();
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(checkpoints.slice(seen).every((m) => m.string() !== 'forged'));
    // The consumer is still the ledger's, and still consuming.
    assert.equal((await watcherJsm.consumers.info(CHANGES_STREAM, LEDGER_CONSUMER)).num_pending, 0);
  });

  it('the ledger sends a change it cannot verify to INGRESS_REJECTED', async () => {
    const before = await messages(REJECTED_STREAM);
    const stranger = generateKey(`collector/${CLUSTER}`);
    const leaf = signChange(makeChange(CLUSTER, 'k8s-3'), stranger);
    await collectorPublish(changesSubject(CLUSTER), leaf, `${CLUSTER}/k8s-3`);
    await until('the ledger publishes the rejection', async () => (await messages(REJECTED_STREAM)) > before);
  });
});

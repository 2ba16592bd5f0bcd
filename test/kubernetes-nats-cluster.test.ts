// The ha overlay's NATS cluster on three real nats-servers: its rendered configuration with only
// paths and addresses moved to loopback (the routes of cluster.conf become three local ports), TLS
// on the client port and on the routes from one certificate for serverAuth and clientAuth, as
// docs/kubernetes.md asks. The servers form a JetStream cluster, the ledger's user creates the
// streams with three replicas (as --stream-replicas=3 will), and a collector's publish is acked.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  BODIES_STREAM,
  CHANGES_STREAM,
  changesSubject,
  connectNats,
  ensureStreams,
  REJECTED_STREAM,
} from '../packages/runtime/index.js';
import { haveOpenssl, makeCa, makeLeaf, NO_OPENSSL } from './support/certs.js';
import { generatedConfigMap, inboxPrefixes, natsManifestSkip, render } from './support/kustomize.js';
import { userNkey } from './support/nats-auth.js';
import { freePort, haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const skip = natsManifestSkip(haveNatsServer(), haveOpenssl(), NO_OPENSSL);

const NODES = 3;

describe('the ha overlay NATS cluster on three real nats-servers', { skip }, () => {
  let dir = '';
  const f = (name: string) => join(dir, name);
  const servers: NatsServer[] = [];
  const conns: NatsConnection[] = [];
  const env: string[] = [];
  let inboxes = { ledger: '', collector: '' };

  before(async () => {
    const objects = render('overlays/ha');
    inboxes = inboxPrefixes(objects);
    const config = generatedConfigMap(objects, 'ingress-ledger-nats-config').data as Record<string, string>;
    dir = mkdtempSync(join(tmpdir(), 'il-k8s-nats-cluster-'));
    makeCa(dir, 'ca');
    makeLeaf(dir, 'ca', 'nats', 'serverAuth,clientAuth');
    const ledger = userNkey();
    const collector = userNkey();
    writeFileSync(f('ledger.nk'), `${ledger.seed}\n`, { mode: 0o600 });
    writeFileSync(f('collector.nk'), `${collector.seed}\n`, { mode: 0o600 });
    for (const [k, v] of Object.entries({
      LEDGER_NKEY: ledger.publicKey,
      COLLECTOR_CLUSTER_A_NKEY: collector.publicKey,
      NOTIFY_NKEY: userNkey().publicKey,
    })) {
      process.env[k] = v;
      env.push(k);
    }
    env.push('POD_NAME');

    const routePorts = await Promise.all(Array.from({ length: NODES }, () => freePort()));
    const routes = config['cluster.conf']!.match(/"nats:\/\/[^"]+:6222"/g);
    assert.equal(routes?.length, NODES, 'cluster.conf names three routes');
    const tlsPaths = (text: string) =>
      text
        .replaceAll('/etc/nats/tls/tls.crt', f('nats.crt'))
        .replaceAll('/etc/nats/tls/tls.key', f('nats.key'))
        .replaceAll('/etc/nats/tls/ca.crt', f('ca.crt'));
    for (let i = 0; i < NODES; i++) {
      const storeDir = mkdtempSync(join(tmpdir(), `il-k8s-nats-${i}-`));
      let cluster = tlsPaths(config['cluster.conf']!).replace(
        'listen: 0.0.0.0:6222',
        `listen: 127.0.0.1:${routePorts[i]}`,
      );
      routes!.forEach((r, j) => {
        cluster = cluster.replace(r, `"nats://127.0.0.1:${routePorts[j]}"`);
      });
      const conf = tlsPaths(config['nats.conf']!)
        .replace(/^ *store_dir: .*$/m, '')
        .replace('/var/run/nats/nats.pid', join(storeDir, 'nats.pid'))
        .replace('http: 0.0.0.0:8222', `http: 127.0.0.1:${await freePort()}`)
        .replace(/^listen: .*$/m, '');
      writeFileSync(join(storeDir, 'auth.conf'), config['auth.conf']!);
      writeFileSync(join(storeDir, 'cluster.conf'), cluster);
      process.env['POD_NAME'] = `ingress-ledger-nats-${i}`; // server_name, read at start
      servers.push(await startNatsServer({ storeDir, config: conf }));
    }
  });

  after(async () => {
    for (const c of conns) await c.close();
    for (const s of servers) await s.stop({ removeStore: true });
    for (const k of env) delete process.env[k];
    rmSync(dir, { recursive: true, force: true });
  });

  it('forms a JetStream cluster in which the ledger creates R3 streams and a collector is acked', async () => {
    const url = servers.map((s) => s.url).join(',');
    const asLedger = await connectNats({
      url,
      nkeySeedFile: f('ledger.nk'),
      tlsCaFile: f('ca.crt'),
      inboxPrefix: inboxes.ledger,
    });
    conns.push(asLedger);
    // The cluster elects its JetStream meta leader after the routes are up; until then JetStream
    // API requests go unanswered.
    const deadline = Date.now() + 30_000;
    let jsm: JetStreamManager;
    for (;;) {
      try {
        jsm = await jetstreamManager(asLedger, { timeout: 2000 });
        await ensureStreams(jsm, { replicas: NODES });
        break;
      } catch (err) {
        assert.ok(Date.now() < deadline, `no R3 streams within 30 s: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    for (const stream of [CHANGES_STREAM, REJECTED_STREAM, BODIES_STREAM]) {
      const info = await jsm.streams.info(stream);
      assert.equal(info.config.num_replicas, NODES, stream);
      assert.equal(info.cluster?.name, 'ingress-ledger');
    }
    const asCollector = await connectNats({
      url,
      nkeySeedFile: f('collector.nk'),
      tlsCaFile: f('ca.crt'),
      inboxPrefix: inboxes.collector,
    });
    conns.push(asCollector);
    const ack = await jetstream(asCollector).publish(changesSubject('cluster-a'), 'x', {
      msgID: 'cluster-a/r3',
    });
    assert.equal(ack.stream, CHANGES_STREAM);
    const peers = (await jsm.streams.info(CHANGES_STREAM)).cluster?.replicas ?? [];
    assert.equal(peers.length, NODES - 1, 'a leader and two replicas');
    assert.ok(peers.every((p) => p.current));
  });
});

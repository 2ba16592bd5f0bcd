// Stream limits and trimming against a real nats-server: INGRESS_CHANGES refuses publishes when
// full (nothing unconsumed is dropped), INGRESS_REJECTED drops its oldest, the ledger's limits are
// applied to streams that already exist, and only committed (acked) changes are trimmed, after
// the keep window, and at once when the stream is nearly full.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AckPolicy,
  DiscardPolicy,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import {
  BODIES_STREAM,
  CHANGES_STREAM,
  DEFAULT_STREAM_LIMITS,
  ensureStreams,
  LEDGER_CONSUMER,
  REJECTED_STREAM,
  silentLogger,
} from '../../packages/runtime/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { StreamTrimmer, TRIM_INTERVAL_MS } from './stream-trim.js';

const MIB = 1024 * 1024;
const limits = {
  changesMaxBytes: MIB,
  rejectedMaxBytes: MIB,
  rejectedMaxAgeMs: 3_600_000,
  bodiesMaxBytes: MIB,
};

describe('stream limits and trimming', {
  skip: haveNatsServer() ? false : 'no nats-server',
  timeout: 60_000,
}, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc?.close();
    await nats?.stop({ removeStore: true });
  });

  it('creates the streams with discard new on changes and bodies, discard old on rejections', async () => {
    await ensureStreams(jsm); // as the collector does: the defaults
    assert.equal(
      (await jsm.streams.info(CHANGES_STREAM)).config.max_bytes,
      DEFAULT_STREAM_LIMITS.changesMaxBytes,
    );
    await ensureStreams(jsm, { limits, applyLimits: true }); // the ledger's settings win
    const changes = (await jsm.streams.info(CHANGES_STREAM)).config;
    assert.equal(changes.discard, DiscardPolicy.New);
    assert.equal(changes.max_bytes, MIB);
    assert.equal((await jsm.streams.info(BODIES_STREAM)).config.discard, DiscardPolicy.New);
    const rejected = (await jsm.streams.info(REJECTED_STREAM)).config;
    assert.equal(rejected.discard, DiscardPolicy.Old);
    assert.equal(rejected.max_age, 3_600_000 * 1_000_000);
  });

  it('trims only acked changes, after the keep window; refuses publishes when full', async () => {
    await jsm.consumers.add(CHANGES_STREAM, {
      durable_name: LEDGER_CONSUMER,
      ack_policy: AckPolicy.Explicit,
    });
    const js = jetstream(nc);
    const payload = new Uint8Array(10_000);
    for (let i = 0; i < 20; i++) await js.publish('ingress.changes.c1', payload, { msgID: `c1/${i}` });
    const consumer = await js.consumers.get(CHANGES_STREAM, LEDGER_CONSUMER);
    for (let i = 0; i < 10; i++) {
      const m = await consumer.next({ expires: 5000 });
      assert.ok(m);
      await m.ackAck();
    }
    const trimmer = new StreamTrimmer(jsm, silentLogger(), 60_000);
    const now = Date.now();
    assert.equal((await trimmer.trim(now)).changes, 0, 'within the keep window nothing goes');
    assert.equal((await trimmer.trim(now + 61_000)).changes, 10, 'then only what was acked');
    const state = (await jsm.streams.info(CHANGES_STREAM)).state;
    assert.equal(state.first_seq, 11);
    assert.equal(state.messages, 10);

    // Fill it: publishes are refused, and the unconsumed messages are all still there.
    let refused = 0;
    for (let i = 20; i < 200 && refused === 0; i++) {
      await js.publish('ingress.changes.c1', payload, { msgID: `c1/${i}` }).catch(() => refused++);
    }
    assert.equal(refused, 1);
    assert.equal((await jsm.streams.info(CHANGES_STREAM)).state.first_seq, 11);
    // Nearly full: acked changes go without waiting for the keep window.
    for (let i = 0; i < 10; i++) await (await consumer.next({ expires: 5000 }))?.ackAck();
    assert.equal((await trimmer.trim(Date.now())).changes, 20);

    // Started, it looks every TRIM_INTERVAL_MS: a stream that fills at a burst's 10 MB/s must not
    // reach its limit between two looks while committed changes sit in it.
    for (let i = 200, full = false; i < 400 && !full; i++) {
      await js.publish('ingress.changes.c1', payload, { msgID: `c1/${i}` }).catch(() => (full = true));
    }
    for (let i = 0; i < 10; i++) await (await consumer.next({ expires: 5000 }))?.ackAck();
    const first = (await jsm.streams.info(CHANGES_STREAM)).state.first_seq;
    const started = Date.now();
    const running = new StreamTrimmer(jsm, silentLogger(), 60_000);
    running.start();
    try {
      while ((await jsm.streams.info(CHANGES_STREAM)).state.first_seq === first) {
        assert.ok(Date.now() - started < TRIM_INTERVAL_MS + 3000, 'trimmed within one interval');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await running.stop();
    }
    assert.ok(TRIM_INTERVAL_MS <= 5000, 'an interval short enough for a burst');
  });
});

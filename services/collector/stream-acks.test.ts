import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { CHANGES_STREAM, changesSubject, connectNats, ensureStreams } from '../../packages/runtime/index.js';
import {
  freePort,
  haveNatsServer,
  type NatsServer,
  startNatsServer,
} from '../../test/support/nats-server.js';
import {
  RESEND_AFTER_MS,
  type StreamAck,
  StreamAckError,
  type StreamAckErrorCode,
  StreamAcks,
} from './stream-acks.js';

const data = new TextEncoder().encode('payload');

async function rejectsWith(p: Promise<unknown>, code: StreamAckErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof StreamAckError && err.code === code);
}

describe('JetStream publishes on a shared reply subscription', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
}, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let acks: StreamAcks;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ACKS', subjects: ['acks.>'], storage: StorageType.File });
    acks = new StreamAcks(nc);
  });
  after(async () => {
    acks?.close();
    await nc?.close();
    await nats?.stop({ removeStore: true });
  });

  describe('when the stream stores the messages', () => {
    it('answers each with its own sequence, and a second copy of a message id as a duplicate', async () => {
      const batch = acks.batch(Date.now() + 5000);
      const [a, b] = await Promise.all([
        batch.publish('acks.one', data, 'id-1'),
        batch.publish('acks.one', data, 'id-2'),
      ]);
      assert.equal(a.stream, 'ACKS');
      assert.equal(a.duplicate, false);
      assert.equal(b.seq, a.seq + 1);
      const again = await batch.publish('acks.one', data, 'id-1');
      assert.equal(again.duplicate, true);
      assert.equal(again.seq, a.seq);
      batch.end();
    });

    it('keeps the headers it is given and adds the message id', async () => {
      const h = headers();
      h.set('Rejection-Reason', 'SCHEMA: test');
      const batch = acks.batch(Date.now() + 5000);
      const ack = await batch.publish('acks.headers', data, 'id-h', h);
      batch.end();
      const jsm = await jetstreamManager(nc);
      const m = await jsm.streams.getMessage('ACKS', { seq: ack.seq });
      assert.equal(m?.header.get('Rejection-Reason'), 'SCHEMA: test');
      assert.equal(m?.header.get('Nats-Msg-Id'), 'id-h');
    });
  });

  describe('when the message cannot be stored', () => {
    it('fails with NO_STREAM when no stream listens on the subject', async () => {
      // Sent again for NO_STREAM_RETRY_MS (a cluster electing a stream leader), then refused.
      const batch = acks.batch(Date.now() + 20_000);
      await rejectsWith(batch.publish('nobody.listens', data, 'id-x'), 'NO_STREAM');
      batch.end();
    });

    it('fails with REJECTED when the stream answers with an error', async () => {
      const h = headers();
      h.set('Nats-Expected-Stream', 'SOME_OTHER_STREAM');
      const batch = acks.batch(Date.now() + 5000);
      await rejectsWith(batch.publish('acks.expect', data, 'id-e', h), 'REJECTED');
      batch.end();
    });

    it('fails with TIMEOUT at the deadline when the answer never comes', async () => {
      // A core subscriber takes the subject and never answers.
      const silent = nc.subscribe('silent.subject');
      const started = Date.now();
      const batch = acks.batch(Date.now() + 200);
      await rejectsWith(batch.publish('silent.subject', data, 'id-t'), 'TIMEOUT');
      assert.ok(Date.now() - started < 2000);
      await rejectsWith(batch.publish('acks.late', data, 'id-late'), 'TIMEOUT');
      batch.end();
      silent.unsubscribe();
    });

    it('sends a publish again when its answer does not come, with the same message id', async () => {
      // A stream leader that dies takes the messages in flight to it with it: no answer ever comes.
      // Here a core subscriber drops the first copy and answers the second as a stream would.
      const seen: string[] = [];
      const sub = nc.subscribe('flaky.subject', {
        callback: (_err, m) => {
          seen.push(m.headers?.get('Nats-Msg-Id') ?? '');
          if (seen.length > 1) m.respond(JSON.stringify({ stream: 'FLAKY', seq: 7 }));
        },
      });
      const started = Date.now();
      const batch = acks.batch(Date.now() + 20_000);
      const ack = await batch.publish('flaky.subject', data, 'id-flaky');
      batch.end();
      sub.unsubscribe();
      assert.deepEqual(ack, { stream: 'FLAKY', seq: 7, duplicate: false });
      assert.deepEqual(seen, ['id-flaky', 'id-flaky']);
      const took = Date.now() - started;
      assert.ok(took >= RESEND_AFTER_MS && took < RESEND_AFTER_MS + 3000, `sent again after ${took} ms`);
    });

    it('fails what is still unanswered when the batch ends early', async () => {
      const silent = nc.subscribe('silent.early');
      const batch = acks.batch(Date.now() + 60_000);
      const p = batch.publish('silent.early', data, 'id-early');
      batch.end();
      await rejectsWith(p, 'TIMEOUT');
      silent.unsubscribe();
    });
  });

  describe('when the connection closes', () => {
    it('fails what is pending with CLOSED, and every later publish', async () => {
      const other = await connect({ servers: nats.url });
      const mine = new StreamAcks(other);
      const silent = nc.subscribe('silent.closing');
      await nc.flush();
      const batch = mine.batch(Date.now() + 60_000);
      const p = batch.publish('silent.closing', data, 'id-c');
      await other.close();
      await rejectsWith(p, 'CLOSED');
      batch.end();
      const later = mine.batch(Date.now() + 60_000);
      await rejectsWith(later.publish('acks.x', data, 'id-d'), 'CLOSED');
      later.end();
      silent.unsubscribe();
    });
  });

  describe('when the connection drops and comes back', () => {
    it('fails what is pending at once with DISCONNECTED, refuses publishes while away, and publishes again after', async () => {
      const own = await startNatsServer();
      const conn = await connectNats({ name: 'acks-test', url: own.url });
      try {
        await ensureStreams(await jetstreamManager(conn));
        const mine = new StreamAcks(conn);
        // A core subscriber takes the subject and never answers: the publish stays pending.
        const silent = conn.subscribe('silent.dropping');
        await conn.flush();
        const batch = mine.batch(Date.now() + 60_000);
        const pending = batch.publish('silent.dropping', data, 'id-drop');
        const started = Date.now();
        // Watched before the server stops: it may fail while stop() is still waiting for the exit.
        const failed = rejectsWith(pending, 'DISCONNECTED');
        await own.stop();
        await failed;
        assert.ok(Date.now() - started < 10_000, 'failed long before the deadline');
        await rejectsWith(batch.publish(changesSubject('t'), data, 'id-away'), 'DISCONNECTED');
        batch.end();
        silent.unsubscribe();

        await own.restart();
        let ack: StreamAck | undefined;
        const until = Date.now() + 20_000;
        while (ack === undefined && Date.now() < until) {
          const again = mine.batch(Date.now() + 5000);
          ack = await again.publish(changesSubject('t'), data, 'id-back').catch(() => undefined);
          again.end();
          if (ack === undefined) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(ack?.stream, CHANGES_STREAM);
        mine.close();
      } finally {
        await conn.close();
        await own.stop({ removeStore: true });
      }
    });
  });

  describe('when JetStream is out of space', () => {
    it('fails with NO_SPACE at once', async () => {
      const own = await startNatsServer({ config: 'jetstream { max_file_store: 256KB }\n' });
      const conn = await connect({ servers: own.url });
      try {
        const jsm = await jetstreamManager(conn);
        await jsm.streams.add({ name: 'SMALL', subjects: ['small.>'], storage: StorageType.File });
        const mine = new StreamAcks(conn);
        const big = new Uint8Array(64 * 1024);
        let failure: unknown;
        let took = 0;
        for (let i = 0; i < 20 && failure === undefined; i++) {
          const batch = mine.batch(Date.now() + 20_000);
          const started = Date.now();
          await batch.publish('small.x', big, `big-${i}`).catch((err: unknown) => {
            failure = err;
            took = Date.now() - started;
          });
          batch.end();
        }
        assert.ok(failure instanceof StreamAckError && failure.code === 'NO_SPACE', String(failure));
        assert.ok(took < 5000, `answered in ${took} ms`);
        // Space returns (here: the stream is purged); the next publish is stored.
        await jsm.streams.purge('SMALL');
        const batch = mine.batch(Date.now() + 5000);
        assert.equal((await batch.publish('small.x', big, 'big-after')).stream, 'SMALL');
        batch.end();
        mine.close();
      } finally {
        await conn.close();
        await own.stop({ removeStore: true });
      }
    });
  });

  describe('when the connection may not publish to the subject', () => {
    it('fails with REJECTED at once, not at the deadline', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'il-nats-perm-'));
      const port = await freePort();
      writeFileSync(
        join(dir, 'server.conf'),
        `listen: 127.0.0.1:${port}
authorization { users: [ { user: c, password: p, permissions: { publish: { allow: ["allowed.>"] }, subscribe: { allow: ["_INBOX.>"] } } } ] }
`,
      );
      const server = spawn('nats-server', ['-c', join(dir, 'server.conf')], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 200; i++) {
          const up = await new Promise<boolean>((resolve) => {
            const s = createConnection({ port, host: '127.0.0.1' });
            s.once('connect', () => resolve(s.destroy() !== undefined));
            s.once('error', () => resolve(false));
          });
          if (up) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const limited = await connect({ servers: `nats://127.0.0.1:${port}`, user: 'c', pass: 'p' });
        const mine = new StreamAcks(limited);
        const started = Date.now();
        const batch = mine.batch(Date.now() + 20_000);
        await rejectsWith(batch.publish('denied.subject', data, 'id-p'), 'REJECTED');
        assert.ok(Date.now() - started < 5000, 'refused well before the deadline');
        batch.end();
        mine.close();
        await limited.close();
      } finally {
        server.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

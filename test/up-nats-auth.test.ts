// `up` protects its nats-server (DESIGN 11): a client without the credentials `up` generated is
// refused, and the collector's credentials publish only the collector's own cluster's changes;
// they can neither publish another cluster's, nor create a consumer, nor read a stream. The seed
// files are 0600 in a 0700 directory and are reused on the next run.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  CHANGES_STREAM,
  CHECKPOINTS_SUBJECT,
  changesSubject,
  connectNats,
  NatsError,
  rejectedSubject,
} from '../packages/runtime/index.js';
import { ingressCreateEvent, postEvents, startUp, type UpProcess } from './cli-support.js';
import { haveNatsServer } from './support/nats-server.js';

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms).unref(),
    ),
  ]);

describe('the NATS server of up', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-up-nats-'));
  const auth = join(dir, 'nats-auth');
  let up: UpProcess | undefined;
  const connections: NatsConnection[] = [];
  const INBOX: Record<string, string> = {
    'ledger.nk': '_INBOX_LEDGER',
    'collector-local.nk': '_INBOX_COLLECTOR',
  };
  const connectAs = async (seed: string) => {
    const inbox = INBOX[seed];
    const nc = await connectNats({
      url: up?.endpoints.nats ?? '',
      nkeySeedFile: join(auth, seed),
      ...(inbox !== undefined ? { inboxPrefix: inbox } : {}),
    });
    connections.push(nc);
    return nc;
  };

  before(async () => {
    up = await startUp(dir);
  });
  after(async () => {
    for (const nc of connections) await nc.close().catch(() => undefined);
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback and refuses a client without credentials', async () => {
    // Every listener of up is on loopback.
    assert.match(up?.endpoints.nats ?? '', /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.match(up?.endpoints.witness ?? '', /^http:\/\/127\.0\.0\.1:\d+/);
    assert.match(up?.endpoints.grpc ?? '', /^127\.0\.0\.1:\d+$/);
    assert.match(up?.endpoints.webhook ?? '', /^http:\/\/127\.0\.0\.1:\d+/);
    await assert.rejects(
      connectNats({ url: up?.endpoints.nats ?? '' }),
      (err: unknown) => err instanceof NatsError && err.code === 'CONNECT' && /auth/i.test(err.message),
    );
    // up passes on nats-server's account of it: who, never with what.
    const refusal = /nats-server: 127\.0\.0\.1:\d+ .*authentication error/;
    for (const until = Date.now() + 10_000; !refusal.test(up?.output() ?? '') && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(up?.output() ?? '', refusal);
  });

  it('keeps the seeds in files of mode 0600 in a directory of mode 0700', () => {
    assert.equal(statSync(auth).mode & 0o777, 0o700);
    for (const f of ['ledger.nk', 'collector-local.nk', 'nats-server.conf']) {
      assert.equal(statSync(join(auth, f)).mode & 0o777, 0o600, f);
    }
    assert.match(readFileSync(join(auth, 'ledger.nk'), 'utf8'), /^SU[A-Z2-7]+\n$/);
  });

  it("lets the collector publish its own cluster's changes and nothing of another cluster", async () => {
    const nc = await connectAs('collector-local.nk');
    const js = jetstream(nc);
    // Not a signed change: the ledger will reject it, which is fine; the point is the PubAck.
    const ack = await within(js.publish(changesSubject('local'), 'not a leaf'), 10_000, 'own cluster');
    assert.equal(ack.stream, CHANGES_STREAM);
    await assert.rejects(
      within(js.publish(changesSubject('other'), 'forged'), 10_000, 'other cluster'),
      /permission/i,
    );
    await assert.rejects(
      within(js.publish(rejectedSubject('other'), 'forged'), 10_000, 'other cluster rejects'),
      /permission/i,
    );
  });

  it("does not let the collector create a consumer, read a stream or overhear the ledger's replies", async () => {
    const nc = await connectAs('collector-local.nk');
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    await assert.rejects(
      within(
        jsm.consumers.add(CHANGES_STREAM, { durable_name: 'thief', ack_policy: AckPolicy.Explicit }),
        10_000,
        'consumer create',
      ),
      /permission/i,
    );
    // A refused subscription is closed by the client with the server's permission error: neither
    // the stream's subject nor the ledger's inboxes, where the changes it pulls arrive.
    for (const subject of ['ingress.changes.>', '_INBOX_LEDGER.>', '_INBOX.>']) {
      const sub = nc.subscribe(subject);
      const closed = await within(sub.closed, 10_000, `subscribe ${subject}`);
      assert.match(String(closed), /permission/i, subject);
    }
  });

  /** Posts one event through the webhook; resolves with the checkpoint the reader then receives. */
  async function eventToCheckpoint(auditID: string): Promise<string> {
    const nc = await connectAs('reader.nk');
    const sub = nc.subscribe(CHECKPOINTS_SUBJECT, { max: 1 });
    await nc.flush();
    const got = (async () => {
      for await (const m of sub) return m.string();
      return '';
    })();
    const endpoints = up?.endpoints;
    assert.ok(endpoints);
    assert.equal(
      await postEvents(endpoints.webhook, endpoints.webhookToken, [ingressCreateEvent(auditID, 'app')]),
      200,
    );
    const note = await within(got, 60_000, 'a checkpoint');
    assert.ok(note.startsWith(`${endpoints.origin}\n`), note);
    return note;
  }

  it('gives tools a reader that receives checkpoints and may publish nothing', async () => {
    assert.equal(up?.endpoints.natsReaderNkeyFile, join(auth, 'reader.nk'));
    await eventToCheckpoint('nats-auth-1');
    const nc = await connectAs('reader.nk');
    await assert.rejects(
      within(jetstream(nc).publish(changesSubject('local'), 'forged'), 10_000, 'reader publish'),
      /permission/i,
    );
  });

  it("lets the ledger's credentials in, and reuses the seeds on the next run", async () => {
    const nc = await connectAs('ledger.nk');
    const info = await within((await jetstreamManager(nc)).streams.info(CHANGES_STREAM), 10_000, 'info');
    assert.equal(info.config.name, CHANGES_STREAM);
    const seed = readFileSync(join(auth, 'collector-local.nk'), 'utf8');
    assert.equal(await up?.stop(), 0, up?.output());
    up = await startUp(dir);
    assert.equal(readFileSync(join(auth, 'collector-local.nk'), 'utf8'), seed);
    // The ledger takes up its existing consumer again and the collector publishes: a new entry.
    await eventToCheckpoint('nats-auth-2');
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { DEFAULT_RESOURCES, ResourceFilter } from '../../packages/change/index.js';
import {
  ensureStreams,
  isConfigError,
  Registry,
  silentLogger,
  writeKeyFiles,
} from '../../packages/runtime/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { REPO_ROOT } from '../../test/support/shared.js';
import { webhookBodyItems } from './audit-input.js';
import { CollectorError, collectorCommand, configFromFlags, startCollector } from './index.js';
import { collectorMetrics } from './metrics.js';
import { type PreparedItem, prepareItem } from './prepare.js';
import { PreparePool } from './prepare-pool.js';
import { decodePrepared, encodePrepared } from './prepared-codec.js';
import { ChangePublisher, type PreparedSink } from './publisher.js';
import { storedLookup } from './stored-message.js';
import { StreamAcks } from './stream-acks.js';
import { StreamReader } from './testing.js';
import { type RunningWebhook, startWebhook } from './webhook.js';

const FIXTURES = join(REPO_ROOT, 'services', 'collector', 'testdata');
const fixtureEvents = (): Record<string, unknown>[] =>
  readFileSync(join(FIXTURES, 'audit-events.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const key = generateKey('collector/pool');
const OBSERVED_AT = '2026-01-02T03:04:05.000Z';

/** n events: the fixtures over and over (changes, skipped events, out-of-leaf bodies), plus malformed ones. */
function eventList(n: number, tag: string): Uint8Array {
  const fixtures = fixtureEvents();
  const items: unknown[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 17 === 5) items.push(42);
    else if (i % 23 === 7) items.push({ ...fixtures[0], auditID: undefined });
    else items.push({ ...fixtures[i % fixtures.length], auditID: `${tag}-${i}` });
  }
  return new TextEncoder().encode(
    JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items }),
  );
}

/** What this thread prepares from the same body: the reference the pool's output must equal. */
function preparedHere(body: Uint8Array): PreparedItem[] {
  const ctx = {
    cluster: 'pool',
    key,
    resources: new ResourceFilter(),
    source: 'audit-webhook' as const,
    observedAt: OBSERVED_AT,
  };
  return webhookBodyItems(body).map((item) => prepareItem(item, ctx));
}

/** Uint8Arrays (Buffers on one side, plain arrays on the other) as hex, so deepEqual compares bytes. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function sink(): { sink: PreparedSink; items: PreparedItem[]; counts: number[] } {
  const items: PreparedItem[] = [];
  const counts: number[] = [];
  return { items, counts, sink: { received: (n) => counts.push(n), item: (p) => items.push(p) } };
}

const newPool = (workers: number, more: { chunkItems?: number } = {}) =>
  new PreparePool({
    cluster: 'pool',
    key,
    resources: DEFAULT_RESOURCES,
    workers,
    logger: silentLogger(),
    ...more,
  });

describe('prepared chunks', () => {
  it('decode to exactly what was encoded', () => {
    const items = preparedHere(eventList(60, 'codec'));
    assert.ok(
      items.some((p) => p.kind === 'leaf' && p.bodies.length > 0),
      'an out-of-leaf body',
    );
    assert.ok(items.some((p) => p.kind === 'skipped'));
    assert.ok(items.some((p) => p.kind === 'rejected'));
    const { buffer, length } = encodePrepared(items);
    assert.deepEqual(plain(decodePrepared(buffer, length)), plain(items));
    assert.deepEqual(decodePrepared(encodePrepared([]).buffer, 0), []);
  });
});

describe('the prepare pool', () => {
  describe('when bodies are prepared on several workers in chunks', () => {
    it("hands each body's items over in body order, each once, as this thread would prepare them", async () => {
      const pool = newPool(3, { chunkItems: 7 });
      try {
        await pool.ready();
        const bodies = [300, 0, 1, 7, 8, 120].map((n) => eventList(n, `order-${n}`));
        const got = bodies.map(() => sink());
        // A Buffer as the webhook reads it, and a view into a larger buffer that must be copied.
        const views = bodies.map((b, i) =>
          i % 2 === 0 ? Buffer.from(b) : new Uint8Array([0, ...b]).subarray(1),
        );
        await Promise.all(
          views.map((v, i) => pool.prepare(v, OBSERVED_AT, (got[i] as ReturnType<typeof sink>).sink).done),
        );
        bodies.forEach((body, i) => {
          const want = preparedHere(body);
          assert.deepEqual(got[i]?.counts, [want.length]);
          assert.deepEqual(plain(got[i]?.items), plain(want));
        });
      } finally {
        await pool.close();
      }
    });
  });

  describe('when a body is not an audit Event or EventList', () => {
    it('fails with BAD_REQUEST and hands nothing over', async () => {
      const pool = newPool(2);
      try {
        for (const text of ['{"kind":', '{"kind":"AdmissionReview"}', '[1,2]']) {
          const got = sink();
          await assert.rejects(
            pool.prepare(new TextEncoder().encode(text), OBSERVED_AT, got.sink).done,
            (err: unknown) => err instanceof CollectorError && err.code === 'BAD_REQUEST',
          );
          assert.deepEqual(got.items, []);
        }
        const bad = sink();
        await assert.rejects(
          pool.prepare(new Uint8Array([0x7b, 0xff, 0x7d]), OBSERVED_AT, bad.sink).done,
          (err: unknown) => err instanceof CollectorError && err.code === 'BAD_REQUEST',
        );
      } finally {
        await pool.close();
      }
    });
  });

  describe('when a worker stops in the middle of a body', () => {
    it('fails that body with UNAVAILABLE, replaces the worker and prepares the next body', async () => {
      const pool = newPool(1, { chunkItems: 1 });
      try {
        await pool.ready();
        const dying = pool.threads[0];
        const got = sink();
        const job = pool.prepare(eventList(400, 'death'), OBSERVED_AT, {
          received: got.sink.received,
          item: (p) => {
            if (got.items.length === 0) void dying?.terminate();
            got.sink.item(p);
          },
        });
        await assert.rejects(
          job.done,
          (err: unknown) => err instanceof CollectorError && err.code === 'UNAVAILABLE',
        );
        assert.ok(got.items.length < 400, `${got.items.length} items handed over`);
        const again = sink();
        await pool.prepare(eventList(40, 'after'), OBSERVED_AT, again.sink).done;
        assert.equal(again.items.length, 40);
        assert.notEqual(pool.threads[0], dying);
        assert.equal(pool.size, 1);
      } finally {
        await pool.close();
      }
    });
  });
});

describe('the webhook', { skip: haveNatsServer() ? false : 'nats-server is not installed' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let acks: StreamAcks;
  let pool: PreparePool;
  let webhook: RunningWebhook;
  let reader: StreamReader;
  /** Stops the worker as soon as the first item of the next body is handed over. */
  let killNext = false;
  const TOKEN = 'pool-token-0123456789abcdef';

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc));
    acks = new StreamAcks(nc);
    const metrics = collectorMetrics(new Registry());
    const logger = silentLogger();
    const publisher = new ChangePublisher(acks, {
      cluster: 'pool',
      key,
      resources: new ResourceFilter(),
      metrics,
      logger,
      stored: storedLookup(nc),
    });
    pool = newPool(1, { chunkItems: 1 });
    await pool.ready();
    // The pool as the webhook sees it, with a way to stop its worker mid-body.
    const dyingPool = {
      prepare: (body: Uint8Array, observedAt: string, s: PreparedSink) => {
        const worker = pool.threads[0];
        let first = killNext;
        killNext = false;
        return pool.prepare(body, observedAt, {
          received: s.received,
          item: (p) => {
            if (first) void worker?.terminate();
            first = false;
            s.item(p);
          },
        });
      },
    };
    webhook = await startWebhook({
      listen: { host: '127.0.0.1', port: 0 },
      token: TOKEN,
      tls: undefined,
      maxBodyBytes: 4 * 1024 * 1024,
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      publishDeadlineMs: 10_000,
      publisher,
      pool: dyingPool,
      metrics,
      logger,
    });
    reader = await StreamReader.connect(nats.url);
  });
  after(async () => {
    await reader?.close();
    await webhook?.close();
    await pool?.close();
    acks?.close();
    await nc?.close();
    await nats?.stop({ removeStore: true });
  });

  const post = (body: Uint8Array) =>
    fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body,
    }).then(async (r) => ({ status: r.status, body: await r.text() }));

  describe('when its worker stops mid-batch', () => {
    it('answers 503, and the re-posted batch is stored once, in full', async () => {
      const body = eventList(400, 'webhook-death');
      const want = preparedHere(body);
      const changes = want.filter((p) => p.kind === 'leaf').length;
      killNext = true;
      const failed = await post(body);
      assert.equal(failed.status, 503);
      const retried = await post(body);
      assert.equal(retried.status, 200);
      const result = JSON.parse(retried.body) as Record<string, number>;
      assert.equal((result.published ?? 0) + (result.duplicates ?? 0), changes);
      assert.equal(result.skipped, want.filter((p) => p.kind === 'skipped').length);
      assert.equal(result.rejected, want.filter((p) => p.kind === 'rejected').length);
      assert.equal(await reader.count('INGRESS_CHANGES'), changes);
    });
  });
});

describe('the --workers setting', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'il-workers-'));
    writeKeyFiles(join(dir, 'collector'), key.skey, key.vkey);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const flags = (more: string[]) => {
    const cmd = collectorCommand();
    cmd.action(() => undefined);
    cmd.parse(
      [
        '--cluster',
        'pool',
        '--key',
        join(dir, 'collector.key'),
        '--nats-url',
        'nats://127.0.0.1:1',
        '--webhook-listen',
        '127.0.0.1:0',
        ...more,
      ],
      { from: 'user' },
    );
    return cmd.opts() as Record<string, string | undefined>;
  };

  for (const bad of ['0', '-1', '1.5', 'two', '257', '0x2']) {
    it(`refuses ${JSON.stringify(bad)}, naming --workers`, () => {
      assert.throws(
        () => configFromFlags(flags(['--workers', bad])),
        (err: unknown) => isConfigError(err) && (err as Error).message.includes('--workers'),
      );
    });
  }

  it('is a number of threads', () => {
    assert.equal(configFromFlags(flags(['--workers', '3'])).workers, 3);
    assert.equal(configFromFlags(flags([])).workers, undefined);
  });

  it('is read from INGRESS_LEDGER_WORKERS', () => {
    assert.equal(configFromFlags(flags([]), { INGRESS_LEDGER_WORKERS: '3' }).workers, 3);
  });

  it('is checked again when the collector starts', async () => {
    await assert.rejects(
      startCollector(
        {
          cluster: 'pool',
          key,
          nats: { url: 'nats://127.0.0.1:1' },
          webhookListen: '127.0.0.1:0',
          workers: 0,
        },
        { logger: silentLogger(), registry: new Registry() },
      ),
      (err: unknown) =>
        err instanceof CollectorError && err.code === 'CONFIG' && err.message.includes('--workers'),
    );
  });
});

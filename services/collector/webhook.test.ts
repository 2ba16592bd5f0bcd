import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { REJECTION_HEADER, Registry, silentLogger } from '../../packages/runtime/index.js';
import { generateKey, openNote, type PrivateKey, parseVkey } from '../../packages/tlog/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { REPO_ROOT, SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import { type RunningCollector, startCollector } from './index.js';
import { StreamReader, waitFor } from './testing.js';
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_WAITING } from './webhook.js';

const FIXTURES = join(REPO_ROOT, 'services', 'collector', 'testdata');
const TOKEN = 'test-token-0123456789abcdef';

interface Expected {
  label: string;
  skipped?: string;
  verb?: string;
  action?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  responseCode?: number;
  reason?: string | null;
  subresource?: string;
  impersonated?: string;
  bodiesOut?: number;
}

const fixtureEvents = (): Record<string, unknown>[] =>
  readFileSync(join(FIXTURES, 'audit-events.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  Expected
>;
const eventList = (items: unknown[]) => ({
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items,
});

export async function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });
  return { status: res.status, body: await res.text() };
}

describe('the audit webhook', { skip: haveNatsServer() ? false : 'nats-server is not installed' }, () => {
  let nats: NatsServer;
  let key: PrivateKey;
  let collector: RunningCollector;
  let reader: StreamReader;

  before(async () => {
    nats = await startNatsServer();
    key = generateKey('collector/test');
    collector = await startCollector(
      {
        cluster: 'test',
        key,
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: TOKEN,
        maxBodyBytes: 1024 * 1024,
        publishDeadlineMs: 2000,
        headersTimeoutMs: 1000,
        requestTimeoutMs: 2000,
      },
      { logger: silentLogger(), registry: new Registry() },
    );
    reader = await StreamReader.connect(nats.url);
  });
  after(async () => {
    await reader?.close();
    await collector?.close();
    await nats?.stop({ removeStore: true });
  });

  describe('when the fixtures are posted as EventLists', () => {
    it('publishes each change once, signed, with the expected fields, even when posted twice', async () => {
      const events = fixtureEvents();
      const first = await post(collector.webhookUrl, JSON.stringify(eventList(events.slice(0, 12))));
      assert.equal(first.status, 200);
      const second = await post(collector.webhookUrl, gzipSync(JSON.stringify(eventList(events.slice(12)))), {
        'content-encoding': 'gzip',
      });
      assert.equal(second.status, 200);
      // The apiserver retries whole batches: all of it again, in one list.
      const again = await post(collector.webhookUrl, JSON.stringify(eventList(events)));
      assert.equal(again.status, 200);
      assert.equal(JSON.parse(again.body).published, 0);

      const wanted = Object.entries(expected).filter(([, e]) => e.skipped === undefined);
      const msgs = await reader.changes();
      assert.equal(msgs.length, wanted.length);
      const vkey = parseVkey(key.vkey);
      const bodies = new Map((await reader.bodies()).map((b) => [b.subject.split('.').pop(), b.data]));
      const seen = new Set<string>();
      for (const m of msgs) {
        assert.equal(m.subject, 'ingress.changes.test');
        const { note } = openNote(m.data, [vkey]);
        assert.ok(m.data.length <= 65_535);
        assert.ok(!note.text.includes('managedFields'), 'managedFields removed');
        const c = JSON.parse(note.text);
        const e = expected[c.auditID];
        assert.ok(e !== undefined && e.skipped === undefined, `unexpected change ${c.auditID}`);
        assert.ok(!seen.has(c.auditID), 'once each');
        seen.add(c.auditID);
        assert.equal(c.schema, 'ingress-ledger.change/v1');
        assert.equal(c.cluster, 'test');
        assert.equal(c.source, 'audit-webhook');
        assert.equal(c.verb, e.verb, e.label);
        assert.equal(c.action, e.action, e.label);
        assert.equal(c.object.name, e.name, e.label);
        assert.equal(c.object.namespace, e.namespace ?? 'shop', e.label);
        assert.equal(c.object.uid, e.uid, e.label);
        assert.equal(c.object.resourceVersion, e.resourceVersion, e.label);
        assert.equal(c.object.subresource, e.subresource, e.label);
        assert.equal(c.responseCode, e.responseCode, e.label);
        assert.equal(c.reason, e.reason, e.label);
        assert.equal(c.impersonatedUser?.username, e.impersonated, e.label);
        if (e.bodiesOut !== undefined) {
          for (const field of ['request', 'response']) {
            const ref = c[field] as { sha256: string; size: number };
            const data = bodies.get(ref.sha256);
            assert.ok(data !== undefined, `${field} body stored`);
            assert.equal(data.length, ref.size);
            assert.equal(createHash('sha256').update(data).digest('hex'), ref.sha256);
          }
        }
      }
    });
  });

  describe('when the shared real samples are posted', () => {
    it('takes every audit event and skips the non-Ingress ones', {
      skip: sharedTestdata('k8s-audit') === undefined ? SHARED_MISSING : false,
    }, async () => {
      const root = sharedTestdata('k8s-audit') ?? '';
      const before = await reader.count('INGRESS_CHANGES');
      const falcoDir = join(root, 'falco-trace-files');
      const falco = readdirSync(falcoDir)
        .filter((f) => f.endsWith('.json') && f !== 'fal_01_003.json')
        .flatMap((f) =>
          readFileSync(join(falcoDir, f), 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== ''),
        )
        .map((l) => JSON.parse(l));
      const res = await post(collector.webhookUrl, JSON.stringify(eventList(falco)));
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).skipped, falco.length);
      const demo = readFileSync(join(root, 'audit2rbac', 'demo.log'), 'utf8')
        .trim()
        .split('\n');
      const res2 = await post(
        collector.webhookUrl,
        JSON.stringify(eventList(demo.map((l) => JSON.parse(l)))),
      );
      assert.equal(JSON.parse(res2.body).skipped, demo.length);
      // One pretty-printed Event with a byte-order mark, as the file is.
      const single = readFileSync(join(root, 'sysdig-aks-audit-log', 'sample_KubeAuditLog_event.json'));
      assert.equal((await post(collector.webhookUrl, single)).status, 200);
      // {"kind": 0} and an AdmissionReview are not audit events.
      assert.equal(
        (await post(collector.webhookUrl, readFileSync(join(falcoDir, 'fal_01_003.json')))).status,
        400,
      );
      const review =
        readFileSync(join(root, 'kube-audit-rest', 'kube-audit-rest.log'), 'utf8').split('\n')[0] ?? '';
      assert.equal((await post(collector.webhookUrl, review)).status, 400);
      assert.equal(await reader.count('INGRESS_CHANGES'), before);
    });
  });

  describe('when an EventList holds malformed items', () => {
    it('rejects them with their reason and publishes the rest', async () => {
      const before = await reader.count('INGRESS_CHANGES');
      const good = { ...fixtureEvents()[0], auditID: 'c0ffee00-0000-4000-8000-00000000good' };
      const noId = { ...good, auditID: undefined };
      const wrongTypes = { ...good, auditID: 'c0ffee00-0000-4000-8000-000000000bad', user: 5 };
      const spacey = { ...good, auditID: 'has space\r\nNats-Msg-Id: x' };
      const res = await post(
        collector.webhookUrl,
        JSON.stringify(eventList([noId, good, wrongTypes, 42, spacey])),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { published: 1, duplicates: 0, skipped: 0, rejected: 4 });
      assert.equal(await reader.count('INGRESS_CHANGES'), before + 1);
      const rejected = await reader.rejected();
      assert.equal(rejected.length, 4);
      for (const r of rejected) {
        assert.equal(r.subject, 'ingress.rejected.test');
        assert.match(r.headers.get(REJECTION_HEADER) ?? '', /^SCHEMA: /);
      }
    });
  });

  describe('when the input is hostile', () => {
    const cases: {
      name: string;
      body: string | Uint8Array;
      headers?: Record<string, string>;
      status: number;
    }[] = [
      { name: 'invalid JSON', body: '{"kind": "EventList", "items": [', status: 400 },
      { name: 'a JSON array', body: '[]', status: 400 },
      { name: 'a wrong kind', body: '{"kind":"AdmissionReview"}', status: 400 },
      { name: 'a numeric kind', body: '{"kind": 0}', status: 400 },
      { name: 'items that are not a list', body: '{"kind":"EventList","items":{}}', status: 400 },
      { name: 'a JSON string', body: '"Event"', status: 400 },
      { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), status: 400 },
      { name: 'corrupt gzip', body: 'not gzip', headers: { 'content-encoding': 'gzip' }, status: 400 },
      { name: 'an unknown encoding', body: '{}', headers: { 'content-encoding': 'br' }, status: 400 },
      { name: 'a wrong content type', body: '{}', headers: { 'content-type': 'text/plain' }, status: 400 },
      {
        name: 'an array with a form content type (curl -d)',
        body: '[1,2]',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        status: 400,
      },
      { name: 'no token', body: '{}', headers: { authorization: '' }, status: 401 },
      {
        name: 'a wrong token',
        body: '{}',
        headers: { authorization: 'Bearer nope-nope-nope-nope' },
        status: 401,
      },
      { name: 'basic auth', body: '{}', headers: { authorization: 'Basic dGVzdDp0ZXN0' }, status: 401 },
      {
        name: 'a gzip bomb',
        body: gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)),
        headers: { 'content-encoding': 'gzip' },
        status: 413,
      },
      { name: 'a body over the limit', body: Buffer.alloc(1024 * 1024 + 1, 0x20), status: 413 },
    ];
    for (const c of cases) {
      it(`answers ${c.status} to ${c.name} and publishes nothing`, async () => {
        const before = (await reader.count('INGRESS_CHANGES')) + (await reader.count('INGRESS_REJECTED'));
        const res = await post(collector.webhookUrl, c.body, c.headers ?? {});
        assert.equal(res.status, c.status);
        const after = (await reader.count('INGRESS_CHANGES')) + (await reader.count('INGRESS_REJECTED'));
        assert.equal(after, before);
      });
    }

    it('answers 405 to a GET', async () => {
      const res = await fetch(collector.webhookUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 405);
    });

    it('answers 413 to a declared 200 MB body without reading it', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(collector.webhookUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${TOKEN}`,
            'content-length': String(200 * 1024 * 1024),
          },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        req.write('{"kind":"EventList","items":[');
      });
      assert.equal(status, 413);
    });

    it('answers 413 to a chunked body that grows past the limit', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(collector.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        });
        let done = false;
        req.on('response', (res) => {
          done = true;
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', (err) => (done ? undefined : reject(err)));
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          for (let i = 0; i < 8 && !done; i++) req.write(chunk);
          if (!done) setTimeout(pump, 5);
        };
        pump();
      });
      assert.equal(status, 413);
    });

    it('drops a slow-loris client that never finishes its headers', async () => {
      const url = new URL(collector.webhookUrl);
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        const s = netConnect(Number(url.port), url.hostname);
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('close', () => resolve(got));
        s.on('error', () => undefined);
        s.write('POST / HTTP/1.1\r\nHost: x\r\n');
        const drip = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 200);
        s.on('close', () => clearInterval(drip));
      });
      assert.ok(Date.now() - started < 5000, 'closed within the header timeout');
      assert.match(answer, /^HTTP\/1\.1 408/);
    });

    it('drops a client that sends its body too slowly', async () => {
      const url = new URL(collector.webhookUrl);
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        const s = netConnect(Number(url.port), url.hostname);
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('close', () => resolve(got));
        s.on('error', () => undefined);
        s.write(
          `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100000\r\n\r\n`,
        );
        const drip = setInterval(() => s.writable && s.write(' '), 200);
        s.on('close', () => clearInterval(drip));
      });
      assert.ok(Date.now() - started < 6000, 'closed within the request timeout');
      assert.match(answer, /^HTTP\/1\.1 408/);
    });

    it('keeps a request beyond the in-flight limit waiting for a slot, and answers 503 when too many wait', async () => {
      const url = new URL(collector.webhookUrl);
      // Clients that send headers and then stall hold a slot or a place in the queue until the
      // request timeout (2 s here) drops them.
      const stall = () => {
        const s = netConnect(Number(url.port), url.hostname);
        s.on('error', () => undefined);
        s.write(
          `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 1000\r\n\r\n{`,
        );
        return s;
      };
      const holding = Array.from({ length: DEFAULT_MAX_IN_FLIGHT }, stall);
      await new Promise((r) => setTimeout(r, 200));
      // One more waits; it is answered once a slot frees, well before its own timeout.
      const started = Date.now();
      const waiting = post(collector.webhookUrl, JSON.stringify(eventList([])));
      await new Promise((r) => setTimeout(r, 300));
      for (const s of holding.splice(0, 1)) s.destroy();
      assert.equal((await waiting).status, 200);
      assert.ok(Date.now() - started < 1500, 'answered when the slot freed, not at a timeout');
      // A full queue (the slot that freed above, then as many waiting as may): the request past it
      // is refused at once, with retry-after.
      const queued = Array.from({ length: 1 + DEFAULT_MAX_WAITING }, stall);
      await new Promise((r) => setTimeout(r, 300));
      const refusedAt = Date.now();
      const res = await fetch(collector.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(eventList([])),
      });
      await res.arrayBuffer();
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '1');
      assert.ok(Date.now() - refusedAt < 1000, 'refused at once');
      for (const s of [...holding, ...queued]) s.destroy();
      await waitFor(
        async () => (await post(collector.webhookUrl, JSON.stringify(eventList([])))).status === 200,
        5000,
        'slots to free up',
      );
    });

    it('gives back the slot of a request the server timed out (408)', async () => {
      const url = new URL(collector.webhookUrl);
      // Every slot held by a body that never ends: the request timeout (2 s) answers them 408, and
      // each slot must come back with its connection.
      const closed = Array.from(
        { length: 16 },
        () =>
          new Promise<string>((resolve) => {
            const s = netConnect(Number(url.port), url.hostname);
            let got = '';
            s.on('data', (d) => (got += d.toString()));
            s.on('error', () => undefined);
            s.on('close', () => resolve(got));
            s.write(
              `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 1000\r\n\r\n{`,
            );
          }),
      );
      for (const answer of await Promise.all(closed)) assert.match(answer, /^HTTP\/1\.1 408/);
      const started = Date.now();
      assert.equal((await post(collector.webhookUrl, JSON.stringify(eventList([])))).status, 200);
      assert.ok(Date.now() - started < 1500, 'a slot was free at once');
    });

    it('still serves after all of that', async () => {
      const res = await post(collector.webhookUrl, JSON.stringify(eventList([])));
      assert.equal(res.status, 200);
    });
  });

  describe('when NATS is stopped mid-stream', () => {
    it('answers 503, and after NATS is back a re-post stores everything once', async () => {
      const base = fixtureEvents().filter((e) => expected[e.auditID as string]?.skipped === undefined);
      const batch = base.slice(0, 5).map((e, i) => ({ ...e, auditID: `nats-down-${i}` }));
      const before = await reader.count('INGRESS_CHANGES');
      await reader.close();
      await nats.stop();
      const started = Date.now();
      const res = await post(collector.webhookUrl, JSON.stringify(eventList(batch)));
      assert.equal(res.status, 503);
      assert.ok(Date.now() - started < 5000, 'answered within the deadline');
      await nats.restart();
      reader = await StreamReader.connect(nats.url);
      let status = 0;
      await waitFor(
        async () => {
          status = (await post(collector.webhookUrl, JSON.stringify(eventList(batch)))).status;
          return status === 200;
        },
        15_000,
        'the webhook to take the batch again',
      );
      assert.equal((await post(collector.webhookUrl, JSON.stringify(eventList(batch)))).status, 200);
      const ids = (await reader.changes()).map(
        (m) => JSON.parse(openNote(m.data, [parseVkey(key.vkey)]).note.text).auditID,
      );
      assert.equal(ids.length, before + batch.length);
      assert.equal(new Set(ids).size, ids.length, 'nothing doubled');
      for (const e of batch) assert.ok(ids.includes(e.auditID), 'nothing missing');
    });
  });
});

// The managed-cluster sources end to end (real nats-server, real HTTP; GKE through Google's Pub/Sub
// emulator): each source makes the entries the audit webhook makes of the same events, a replayed
// delivery makes none, a wrong credential is refused, and a malformed record is counted and
// reported while the rest of its batch is taken.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { REJECTION_HEADER, Registry, SOURCE_HEADER, silentLogger } from '../../packages/runtime/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import {
  freePort,
  haveNatsServer,
  type NatsServer,
  startNatsServer,
} from '../../test/support/nats-server.js';
import { REPO_ROOT, SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import { type CollectorConfig, type RunningCollector, startCollector } from './index.js';
import { firehoseDelivery, gkeEntryOf, pubsubPush, StreamReader, signIdToken, waitFor } from './testing.js';

const TOKEN = 'test-token-0123456789abcdef';
const MiB = 1024 * 1024;
const AUDIENCE = 'https://collector.test/sources/gke-pubsub';
const PUSHER = 'pusher@test-project.iam.gserviceaccount.com';
type Obj = Record<string, unknown>;

const events = (): Obj[] =>
  readFileSync(join(REPO_ROOT, 'services', 'collector', 'testdata', 'audit-events.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Obj);
const eventList = (items: unknown[]) => ({
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items,
});
/** The Panther synthetic samples: [EKS Event, AKS record, GKE LogEntry, ...]. */
const panther = (): Obj[] => {
  const root = sharedTestdata('k8s-audit/panther');
  if (root === undefined) return [];
  const doc = parseYaml(readFileSync(join(root, 'k8s_ingress_without_tls.yml'), 'utf8')) as {
    Tests: { Log: Obj }[];
  };
  return doc.Tests.map((t) => t.Log);
};
/** What every real audit Event has and the hand-written sample leaves out. */
const completed = (e: Obj, auditID: string): Obj => ({
  ...e,
  auditID,
  stage: 'ResponseComplete',
  requestReceivedTimestamp: '2026-12-05T09:00:00.000000Z',
  stageTimestamp: '2026-12-05T09:00:00.100000Z',
});

async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}
const bearer = { authorization: `Bearer ${TOKEN}` };
const firehoseHeaders = (requestId: string, key = TOKEN) => ({
  'x-amz-firehose-request-id': requestId,
  'x-amz-firehose-access-key': key,
  'x-amz-firehose-protocol-version': '1.0',
  'x-amz-firehose-source-arn': 'arn:aws:firehose:eu-west-1:123456789012:deliverystream/ingress-ledger',
});

describe('the managed-cluster sources', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
}, () => {
  let nats: NatsServer;
  let reader: StreamReader;
  let dir: string;
  const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const running: RunningCollector[] = [];
  // One collector per route, each its own cluster, so each route's entries can be compared.
  let ref: RunningCollector;
  let eks: RunningCollector;
  let gke: RunningCollector;
  let aks: RunningCollector;
  let nd: RunningCollector;

  const start = async (cluster: string, extra: Partial<CollectorConfig> = {}) => {
    const c = await startCollector(
      {
        cluster,
        key: generateKey(`collector/${cluster}`),
        nats: { url: nats.url },
        webhookListen: '127.0.0.1:0',
        webhookToken: TOKEN,
        maxBodyBytes: MiB,
        publishDeadlineMs: 10_000,
        headersTimeoutMs: 5000,
        requestTimeoutMs: 10_000,
        workers: 1,
        ...extra,
      },
      { logger: silentLogger(), registry: new Registry() },
    );
    running.push(c);
    return c;
  };
  /** The changes a cluster's collector published, by auditID. */
  const changes = async (cluster: string): Promise<Map<string, Obj>> => {
    const out = new Map<string, Obj>();
    for (const m of await reader.changes()) {
      if (m.subject !== `ingress.changes.${cluster}`) continue;
      const c = JSON.parse(Buffer.from(m.data).toString('utf8').split('\n')[0] ?? '') as Obj;
      out.set(c.auditID as string, c);
    }
    return out;
  };
  const rejectedOf = async (source: string) =>
    (await reader.rejected()).filter((m) => m.headers.get(SOURCE_HEADER) === source);
  /** A change without what differs by route: the cluster, the source and the clock. */
  const routeFree = (c: Obj | undefined) => {
    if (c === undefined) return undefined;
    const { cluster: _c, source: _s, observedAt: _o, ...rest } = c;
    return rest;
  };

  before(async () => {
    nats = await startNatsServer();
    dir = mkdtempSync(join(tmpdir(), 'sources-'));
    const jwks = {
      keys: [{ ...signer.publicKey.export({ format: 'jwk' }), kid: 'test-1', use: 'sig', alg: 'RS256' }],
    };
    writeFileSync(join(dir, 'google-keys.json'), JSON.stringify(jwks));
    ref = await start('ref');
    eks = await start('eks');
    gke = await start('gke', {
      pubsubOidc: { audience: AUDIENCE, keysFile: join(dir, 'google-keys.json'), serviceAccount: PUSHER },
    });
    aks = await start('aks');
    nd = await start('ndjson');
    reader = await StreamReader.connect(nats.url);
    // The reference: what the audit webhook makes of the fixtures.
    const res = await post(ref.webhookUrl, JSON.stringify(eventList(events())), bearer);
    assert.equal(res.status, 200);
  });
  after(async () => {
    await reader?.close();
    for (const c of running) await c.close();
    await nats?.stop({ removeStore: true });
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  describe('EKS through Firehose', () => {
    const url = () => `${eks.webhookUrl}sources/eks-firehose`;
    const lines = () => events().map((e) => JSON.stringify(e));

    it('makes the entries the webhook makes, and answers as Firehose expects', async () => {
      const all = lines();
      const body = firehoseDelivery('req-1', [all.slice(0, 8), all.slice(8, 16), all.slice(16)]);
      const res = await post(url(), body, firehoseHeaders('req-1'));
      assert.equal(res.status, 200);
      assert.equal(res.type, 'application/json');
      const answer = JSON.parse(res.body) as Obj;
      assert.deepEqual(Object.keys(answer).sort(), ['requestId', 'timestamp']);
      assert.equal(answer.requestId, 'req-1');
      assert.ok(typeof answer.timestamp === 'number' && Math.abs(answer.timestamp - Date.now()) < 60_000);
      const want = await changes('ref');
      const got = await changes('eks');
      assert.equal(got.size, want.size);
      for (const [id, c] of want) assert.deepEqual(routeFree(got.get(id)), routeFree(c), id);
      for (const c of got.values()) assert.equal(c.source, 'eks-firehose');
    });

    it('makes no new entry of a replayed delivery, gzip-encoded or not', async () => {
      const before = (await changes('eks')).size;
      const all = lines();
      const body = firehoseDelivery('req-1', [all]);
      assert.equal((await post(url(), body, firehoseHeaders('req-1'))).status, 200);
      const zipped = await post(url(), gzipSync(body), {
        ...firehoseHeaders('req-2'),
        'content-encoding': 'gzip',
      });
      assert.equal(zipped.status, 200);
      assert.equal(JSON.parse(zipped.body).requestId, 'req-2');
      assert.equal((await changes('eks')).size, before);
    });

    it('refuses a wrong or missing access key with 401 in Firehose form', async () => {
      const body = firehoseDelivery('req-3', [lines()]);
      for (const headers of [
        firehoseHeaders('req-3', 'wrong-token-0123456789abcdef'),
        { 'x-amz-firehose-request-id': 'req-3', ...bearer },
      ]) {
        const res = await post(url(), body, headers);
        assert.equal(res.status, 401);
        assert.equal(res.type, 'application/json');
        const answer = JSON.parse(res.body) as Obj;
        assert.equal(answer.requestId, 'req-3');
        assert.equal(typeof answer.errorMessage, 'string');
        assert.ok(!(answer.errorMessage as string).includes(TOKEN));
      }
    });

    it('refuses what is not a Firehose delivery with 400, and a body over the limit with 413', async () => {
      const noId = await post(url(), firehoseDelivery('x', [lines()]), {
        'x-amz-firehose-access-key': TOKEN,
      });
      assert.equal(noId.status, 400);
      assert.equal(JSON.parse(noId.body).requestId, '');
      for (const body of ['{"records": [', '[]', '{"requestId": "r"}', '{"records": "x"}']) {
        const res = await post(url(), body, firehoseHeaders('req-4'));
        assert.equal(res.status, 400, body);
        assert.deepEqual(Object.keys(JSON.parse(res.body)).sort(), [
          'errorMessage',
          'requestId',
          'timestamp',
        ]);
      }
      const huge = await post(
        url(),
        JSON.stringify({ records: [{ data: 'A'.repeat(MiB + 8) }] }),
        firehoseHeaders('req-5'),
      );
      assert.equal(huge.status, 413);
      assert.equal(JSON.parse(huge.body).requestId, 'req-5');
      // Each record under the per-record cap, all of them together over the delivery's budget.
      const pad = gzipSync(
        JSON.stringify({ messageType: 'CONTROL_MESSAGE', pad: 'x'.repeat(MiB - 100) }),
      ).toString('base64');
      const wide = JSON.stringify({
        requestId: 'req-6',
        records: Array.from({ length: 9 }, () => ({ data: pad })),
      });
      assert.equal((await post(url(), wide, firehoseHeaders('req-6'))).status, 413);
    });

    it('counts and reports malformed records, and takes the rest of the batch', async () => {
      const [eksSample] = panther();
      const good = completed(eksSample ?? events()[0] ?? {}, 'panther-eks-1');
      const before = (await rejectedOf('eks-firehose')).length;
      const delivery = JSON.parse(
        firehoseDelivery('req-7', [
          [JSON.stringify(eksSample ?? { kind: 'Event' }), '{"kind": "Ev', JSON.stringify(good)],
        ]),
      ) as { records: Obj[] };
      delivery.records.push({ data: 'not base64!' });
      delivery.records.push({ data: gzipSync(Buffer.alloc(16 * MiB)).toString('base64') });
      delivery.records.push({ nodata: true });
      const res = await post(url(), JSON.stringify(delivery), firehoseHeaders('req-7'));
      assert.equal(res.status, 200);
      const got = (await changes('eks')).get('panther-eks-1');
      assert.ok(got !== undefined, 'the good event is recorded');
      assert.equal(got.source, 'eks-firehose');
      assert.deepEqual(got.object, {
        group: 'networking.k8s.io',
        version: 'v1',
        resource: 'ingresses',
        namespace: 'production',
        name: 'api-ingress',
        uid: '',
        resourceVersion: '',
      });
      assert.deepEqual(got.user, { username: 'developer@example.com' });
      const reasons = (await rejectedOf('eks-firehose'))
        .slice(before)
        .map((m) => m.headers.get(REJECTION_HEADER));
      assert.equal(reasons.length, 5);
      for (const want of ['auditID', 'not JSON', 'base64', 'decompresses past', 'must be a string']) {
        assert.ok(
          reasons.some((r) => r?.includes(want)),
          `a rejection about ${want}: ${reasons.join(' | ')}`,
        );
      }
    });

    it("skips the log group's other streams and answers a control message", async () => {
      const other = firehoseDelivery('req-8', [['level=info msg="access granted"']], 'authenticator-abc');
      assert.equal((await post(url(), other, firehoseHeaders('req-8'))).status, 200);
      const control = JSON.stringify({
        requestId: 'req-9',
        timestamp: Date.now(),
        records: [
          {
            data: gzipSync(JSON.stringify({ messageType: 'CONTROL_MESSAGE', logEvents: [] })).toString(
              'base64',
            ),
          },
        ],
      });
      assert.equal((await post(url(), control, firehoseHeaders('req-9'))).status, 200);
    });

    it('logs a change once when it also arrives through the webhook', async () => {
      const [eksSample] = panther();
      const again = completed(eksSample ?? events()[0] ?? {}, 'panther-eks-1');
      const before = (await changes('eks')).size;
      const res = await post(eks.webhookUrl, JSON.stringify(again), bearer);
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).duplicates, 1);
      assert.equal((await changes('eks')).size, before);
    });
  });

  describe('GKE through a Pub/Sub push subscription', () => {
    const url = () => `${gke.webhookUrl}sources/gke-pubsub`;
    const token = (claims: Obj = {}) =>
      signIdToken(
        {
          iss: 'https://accounts.google.com',
          aud: AUDIENCE,
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 3600,
          email: PUSHER,
          email_verified: true,
          ...claims,
        },
        signer.privateKey,
        'test-1',
      );
    const push = (entry: unknown, auth: Record<string, string>, id = '1', suffix = '') =>
      post(`${url()}${suffix}`, pubsubPush(JSON.stringify(entry), id), auth);

    it('takes a push with a verified OIDC token, or the webhook token, and refuses any other', async () => {
      const entry = gkeEntryOf(events()[0] ?? {}, 'auth-1');
      assert.equal((await push(entry, { authorization: `Bearer ${token()}` })).status, 200);
      assert.equal((await push(entry, bearer)).status, 200);
      assert.equal((await push(entry, {}, '1', `?token=${TOKEN}`)).status, 200);
      const refused: [string, Record<string, string>, string][] = [
        ['no credential', {}, ''],
        ['a wrong ?token=', {}, '?token=wrong-token-0123456789abcdef'],
        ['another audience', { authorization: `Bearer ${token({ aud: 'https://elsewhere' })}` }, ''],
        ['an expired token', { authorization: `Bearer ${token({ exp: 1000 })}` }, ''],
        ['another service account', { authorization: `Bearer ${token({ email: 'x@example.com' })}` }, ''],
        [
          'a token signed by another key',
          {
            authorization: `Bearer ${signIdToken({ aud: AUDIENCE }, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'test-1')}`,
          },
          '',
        ],
      ];
      for (const [name, auth, suffix] of refused) {
        assert.equal((await push(entry, auth, '1', suffix)).status, 401, name);
      }
    });

    it('acknowledges a malformed message, counting and reporting it, so it is not redelivered', async () => {
      const before = (await rejectedOf('gke-pubsub')).length;
      const bodies = [
        '{"message": ',
        JSON.stringify({ message: { data: 'not base64!', messageId: '2' } }),
        JSON.stringify({ message: { messageId: '3' } }),
        pubsubPush('not a log entry'),
        pubsubPush(
          JSON.stringify({
            insertId: 'x',
            protoPayload: { methodName: 'google.container.v1.ClusterManager.CreateCluster' },
          }),
        ),
        pubsubPush(Buffer.from([0xff, 0xfe])),
      ];
      for (const b of bodies) assert.equal((await post(url(), b, bearer)).status, 200, b);
      const reasons = (await rejectedOf('gke-pubsub'))
        .slice(before)
        .map((m) => m.headers.get(REJECTION_HEADER));
      assert.equal(reasons.length, bodies.length, reasons.join(' | '));
    });

    it('reads the synthetic GKE sample once completed, and logs a redelivery once', {
      skip: sharedTestdata('k8s-audit') === undefined ? SHARED_MISSING : false,
    }, async () => {
      const sample = panther()[2] ?? {};
      const before = (await rejectedOf('gke-pubsub')).length;
      // As written, it lacks the timestamp and insertId every LogEntry has.
      assert.equal((await push(sample, bearer)).status, 200);
      assert.equal((await rejectedOf('gke-pubsub')).length, before + 1);
      const full = { ...sample, insertId: 'panther-gke-1', timestamp: '2026-12-05T09:00:00.123456Z' };
      const first = await push(full, bearer, '10');
      assert.equal(JSON.parse(first.body).published, 1);
      const c = (await changes('gke')).get('panther-gke-1');
      assert.equal(c?.source, 'gke-pubsub');
      assert.deepEqual(c?.user, { username: 'user@company.com' });
      assert.deepEqual(c?.sourceIPs, ['8.8.8.8']);
      assert.equal(c?.responseCode, 201);
      assert.equal((c?.object as Obj | undefined)?.name, 'web-ingress');
      // A redelivery, and the same entry through an unwrapped subscription.
      assert.equal(JSON.parse((await push(full, bearer, '10')).body).duplicates, 1);
      assert.equal(JSON.parse((await post(url(), JSON.stringify(full), bearer)).body).duplicates, 1);
    });

    it('refuses a body over the limit (413) and an unknown source (404)', async () => {
      assert.equal((await post(url(), 'x'.repeat(MiB + 1), bearer)).status, 413);
      assert.equal((await post(`${gke.webhookUrl}sources/nope`, '{}', bearer)).status, 404);
    });

    const haveGcloud = spawnSync('gcloud', ['--version'], { stdio: 'ignore' }).status === 0;
    it('makes, through the Pub/Sub emulator, the entries the webhook makes of the same events', {
      skip: haveGcloud ? false : 'gcloud (google-cloud-cli with the Pub/Sub emulator) is not installed',
      timeout: 180_000,
    }, async () => {
      // A free port can be taken by another test's server before the emulator binds it: then the
      // emulator exits, and it is started again on another port.
      let emu: ChildProcess | undefined;
      let api = '';
      const stopEmulator = () => {
        if (emu?.pid === undefined) return;
        try {
          process.kill(-emu.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      };
      try {
        for (let attempt = 0; ; attempt++) {
          const port = await freePort();
          const child = spawn(
            'gcloud',
            [
              'beta',
              'emulators',
              'pubsub',
              'start',
              `--host-port=127.0.0.1:${port}`,
              '--project=test-project',
            ],
            { detached: true, stdio: 'ignore' },
          );
          emu = child;
          api = `http://127.0.0.1:${port}/v1/projects/test-project`;
          const base = api;
          await waitFor(
            async () =>
              child.exitCode !== null || (await fetch(`${base}/topics`).catch(() => undefined))?.ok === true,
            90_000,
            'the Pub/Sub emulator',
          );
          if (child.exitCode === null) break;
          assert.ok(attempt < 3, `the Pub/Sub emulator exited with ${child.exitCode}`);
        }
        const put = async (path: string, body: Obj) => {
          const res = await fetch(`${api}/${path}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          assert.equal(res.status, 200, await res.text());
        };
        await put('topics/k8s-audit', {});
        await put('subscriptions/ingress-ledger', {
          topic: 'projects/test-project/topics/k8s-audit',
          pushConfig: { pushEndpoint: `${url()}?token=${TOKEN}` },
          ackDeadlineSeconds: 30,
        });
        const all = events();
        const publish = await fetch(`${api}/topics/k8s-audit:publish`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            messages: all.map((e, i) => ({
              data: Buffer.from(JSON.stringify(gkeEntryOf(e, `emu-${i}`))).toString('base64'),
            })),
          }),
        });
        assert.equal(publish.status, 200, await publish.text());
        const want = await changes('ref');
        // GKE keeps no request URI, so the dry run is an entry too (see docs/kubernetes.md).
        // Earlier tests pushed some of these already: wait for each one, not for a count.
        const dryRun = all.find((e) => String(e.requestURI).includes('dryRun'))?.auditID as string;
        await waitFor(
          async () => {
            const got = await changes('gke');
            return [...want.keys(), dryRun].every((id) => got.has(id));
          },
          90_000,
          'the pushed entries',
        );
        const got = await changes('gke');
        for (const [id, w] of want) {
          const g = got.get(id);
          assert.ok(g !== undefined, id);
          assert.equal(g.source, 'gke-pubsub');
          for (const field of ['verb', 'object', 'request', 'response', 'reason', 'userAgent']) {
            assert.deepEqual(g[field], w[field], `${id} ${field}`);
          }
          assert.equal((g.user as Obj).username, (w.user as Obj).username, id);
          assert.deepEqual(g.sourceIPs, (w.sourceIPs as string[]).slice(0, 1), id);
          assert.equal(g.requestReceivedTimestamp, w.requestReceivedTimestamp, id);
          // A server-side-apply create is a patch answered 201; GKE says only "OK".
          const ssaCreate = w.verb === 'patch' && w.responseCode === 201;
          assert.equal(g.responseCode, ssaCreate ? 200 : w.responseCode, id);
          assert.equal(g.action, ssaCreate ? 'update' : w.action, id);
        }
      } finally {
        stopEmulator();
      }
    });
  });

  describe('AKS through an Event Hubs forwarder', () => {
    const url = () => `${aks.webhookUrl}sources/aks-eventhubs`;

    it('makes the entries the webhook makes of the diagnostic records', async () => {
      const records = events().map((e) => ({
        time: e.stageTimestamp,
        category: 'kube-audit',
        operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
        properties: { log: JSON.stringify(e), stream: 'stdout', pod: 'kube-apiserver-0' },
      }));
      const res = await post(url(), JSON.stringify({ records }), bearer);
      assert.equal(res.status, 200);
      const want = await changes('ref');
      const got = await changes('aks');
      assert.equal(got.size, want.size);
      for (const [id, c] of want) assert.deepEqual(routeFree(got.get(id)), routeFree(c), id);
      for (const c of got.values()) assert.equal(c.source, 'aks-eventhubs');
      assert.equal(JSON.parse((await post(url(), JSON.stringify({ records }), bearer)).body).published, 0);
      assert.equal(
        (await post(url(), JSON.stringify({ records }), { authorization: 'Bearer wrong-token-0123456789ab' }))
          .status,
        401,
      );
    });

    it('reads the real AKS batch and the synthetic record', {
      skip: sharedTestdata('k8s-audit') === undefined ? SHARED_MISSING : false,
    }, async () => {
      const root = sharedTestdata('k8s-audit') ?? '';
      const batch = readFileSync(join(root, 'sysdig-aks-audit-log', 'event.json'));
      const res = await post(url(), batch, bearer);
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { published: 0, duplicates: 0, skipped: 22, rejected: 0 });
      const one = readFileSync(join(root, 'sysdig-aks-audit-log', 'sample_EventHubs_event.json'));
      assert.equal((await post(url(), one, bearer)).status, 200);
      // Panther's record holds an Event without auditID or stage: counted and reported.
      const before = (await rejectedOf('aks-eventhubs')).length;
      const r = await post(url(), JSON.stringify({ records: [panther()[1]] }), bearer);
      assert.equal(JSON.parse(r.body).rejected, 1);
      assert.equal((await rejectedOf('aks-eventhubs')).length, before + 1);
      assert.equal((await post(url(), '{"kind": "EventList", "items": []}', bearer)).status, 400);
    });
  });

  describe('NDJSON from a log forwarder', () => {
    it('makes the entries the webhook makes, a bad line costing only itself', async () => {
      const lines = events().map((e) => JSON.stringify(e));
      const body = `${lines.slice(0, 10).join('\n')}\n{"kind": "Ev\n\n${lines.slice(10).join('\r\n')}\n`;
      const res = await post(nd.webhookUrl, body, { ...bearer, 'content-type': 'application/x-ndjson' });
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).rejected, 1);
      const want = await changes('ref');
      const got = await changes('ndjson');
      assert.equal(got.size, want.size);
      for (const [id, c] of want) assert.deepEqual(routeFree(got.get(id)), routeFree(c), id);
      for (const c of got.values()) assert.equal(c.source, 'audit-webhook');
      // Sent again, without its content type (detected): nothing new.
      const again = await post(nd.webhookUrl, lines.join('\n'), bearer);
      assert.equal(JSON.parse(again.body).published, 0);
      assert.equal(
        (await post(nd.webhookUrl, lines.join('\n'), { 'content-type': 'application/x-ndjson' })).status,
        401,
      );
    });
  });
});

// Issue 3: 10,000 signed changes with 5% duplicates and 1% bad ones through a real nats-server,
// the ledger (in process), real SQLite and real gRPC on loopback.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { type Change, canonicalJson, MAX_LEAF_BYTES } from '../packages/change/index.js';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import { bodySubject, changesSubject, REJECTED_STREAM, silentLogger } from '../packages/runtime/index.js';
import {
  generateKey,
  openNote,
  parseVkey,
  verifyConsistency,
  verifyInclusion,
} from '../packages/tlog/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import {
  hex,
  ledgerSettings,
  makeChange,
  naiveConsistency,
  naiveInclusion,
  naiveLeafHash,
  naiveRoot,
  setupKeys,
  signChange,
  signText,
  stopLedgerRig,
} from './ledger-fixtures.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const TOTAL = 10_000;
const SAME_MSG_ID = 250; // 2.5%: republished with the same Nats-Msg-Id (JetStream drops them)
const SAME_IDENTITY = 250; // 2.5%: same identity, new msg id (as after the duplicate window)
const BAD_KINDS = [
  'BAD_SIGNATURE',
  'UNKNOWN_KEY',
  'BAD_JSON',
  'NOT_CANONICAL',
  'TOO_LARGE',
  'SCHEMA',
] as const;
const BAD = 100; // 1%
const GOOD = TOTAL - SAME_MSG_ID - SAME_IDENTITY - BAD;

describe('ledger ingest of 10,000 changes', { skip: haveNatsServer() ? false : 'no nats-server' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let ledger: RunningLedger;
  let client: ReturnType<typeof createClient<typeof Ledger>>;
  const keys = setupKeys('ledger.test/ingest', ['c1', 'c2']);
  const good: Uint8Array[] = [];
  const expectedRejects = new Map<string, string>(); // msg id -> reason code
  let withBody: { leaf: Uint8Array; sha: string; data: Uint8Array } | undefined;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    ledger = await startLedger(
      ledgerConfig(
        ledgerSettings(keys, nats.url, {
          'checkpoint-interval': '50ms',
          'batch-age': '20ms',
          'verify-workers': '2',
        }),
      ),
      { logger: silentLogger() },
    );
    client = createClient(Ledger, ledger.grpcAddress);
  });

  after(() => stopLedgerRig({ client, ledger, nc, nats, dir: keys.dir }));

  it('publishes the changes, duplicates and bad messages', async () => {
    const js = jetstream(nc);
    const c1 = keys.collectors.get('c1')!;
    const stranger = generateKey('collector/c1');
    const msgs: { subject: string; data: Uint8Array; msgID: string }[] = [];
    for (let i = 0; i < GOOD; i++) {
      const cluster = i % 2 === 0 ? 'c1' : 'c2';
      const leaf = signChange(makeChange(cluster, `g${i}`), keys.collectors.get(cluster)!);
      good.push(leaf);
      msgs.push({ subject: changesSubject(cluster), data: leaf, msgID: `${cluster}/g${i}` });
    }
    for (let i = 0; i < SAME_MSG_ID; i++) msgs.push({ ...msgs[i * 3]!, data: msgs[i * 3]!.data });
    for (let i = 0; i < SAME_IDENTITY; i++) {
      const m = msgs[i * 5 + 1]!;
      msgs.push({ ...m, msgID: `${m.msgID}#later` });
    }
    const base = makeChange('c1', 'bad');
    for (let i = 0; i < BAD; i++) {
      const kind = BAD_KINDS[i % BAD_KINDS.length]!;
      const ch = { ...base, auditID: `bad${i}` };
      let data: Uint8Array;
      switch (kind) {
        case 'BAD_SIGNATURE': {
          data = signChange(ch, c1);
          data[30] = data[30] === 0x61 ? 0x62 : 0x61;
          break;
        }
        case 'UNKNOWN_KEY':
          data = signChange(ch, stranger);
          break;
        case 'BAD_JSON':
          data = signText(`{"schema":"ingress-ledger.change/v1","auditID":"bad${i}"\n`, c1);
          break;
        case 'NOT_CANONICAL':
          data = signText(`${JSON.stringify(ch, null, 1).replaceAll('\n', '')}\n`, c1);
          break;
        case 'TOO_LARGE':
          data = signChange(makeChange('c1', `bad${i}`, MAX_LEAF_BYTES), c1);
          break;
        case 'SCHEMA':
          data = signChange({ ...ch, schema: 'ingress-ledger.change/v0' }, c1);
          break;
      }
      expectedRejects.set(`c1/bad${i}`, kind);
      msgs.push({ subject: changesSubject('c1'), data, msgID: `c1/bad${i}` });
    }
    // One change with an out-of-leaf body, and one whose body never arrives.
    const body = new TextEncoder().encode(canonicalJson({ spec: { big: 'y'.repeat(100) } }));
    const sha = createHash('sha256').update(body).digest('hex');
    await js.publish(bodySubject(sha), body, { msgID: sha });
    const bodyChange: Change = { ...makeChange('c1', 'body1'), request: { sha256: sha, size: body.length } };
    withBody = { leaf: signChange(bodyChange, c1), sha, data: body };
    good.push(withBody.leaf);
    msgs.push({ subject: changesSubject('c1'), data: withBody.leaf, msgID: 'c1/body1' });
    const missing: Change = { ...makeChange('c1', 'body2'), response: { sha256: 'ab'.repeat(32), size: 5 } };
    msgs.push({ subject: changesSubject('c1'), data: signChange(missing, c1), msgID: 'c1/body2' });
    expectedRejects.set('c1/body2', 'BODY_MISSING');

    let duplicates = 0;
    for (let at = 0; at < msgs.length; at += 500) {
      const acks = await Promise.all(
        msgs.slice(at, at + 500).map((m) => {
          const h = headers();
          h.set('X-Test', 'kept');
          return js.publish(m.subject, m.data, { msgID: m.msgID, headers: h });
        }),
      );
      duplicates += acks.filter((a) => a.duplicate).length;
    }
    assert.equal(duplicates, SAME_MSG_ID);
  });

  it('commits every good change exactly once under a signed checkpoint', async () => {
    const want = BigInt(good.length);
    const deadline = Date.now() + 30_000;
    let cp = await client.getCheckpoint({});
    while (cp.size < want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      cp = await client.getCheckpoint({});
    }
    assert.equal(cp.size, want);
    openNote(cp.note, [parseVkey(ledger.logVkey)]);
    const leaves: Uint8Array[] = [];
    while (BigInt(leaves.length) < cp.size) {
      const { entries } = await client.getEntries({ start: BigInt(leaves.length), end: cp.size });
      assert.ok(entries.length > 0);
      for (const e of entries) {
        assert.equal(e.index, BigInt(leaves.length));
        assert.equal(hex(e.leafHash), hex(naiveLeafHash(e.leaf)));
        if (withBody !== undefined && hex(e.leaf) === hex(withBody.leaf)) {
          assert.deepEqual(
            e.bodies.map((b) => [b.sha256, hex(b.data)]),
            [[withBody.sha, hex(withBody.data)]],
          );
        }
        leaves.push(e.leaf);
      }
    }
    const stored = leaves.map(hex).sort();
    assert.deepEqual(stored, good.map(hex).sort());
    const hashes = leaves.map(naiveLeafHash);
    assert.equal(hex(cp.rootHash), hex(naiveRoot(hashes)));

    for (let i = 0; i < hashes.length; i += 331) {
      const p = await client.getInclusionProof({ leaf: { case: 'index', value: BigInt(i) }, treeSize: 0n });
      verifyInclusion(BigInt(i), cp.size, hashes[i]!, p.hashes, cp.rootHash);
      assert.deepEqual(p.hashes.map(hex), naiveInclusion(i, hashes).map(hex));
      const byHash = await client.getInclusionProof({
        leaf: { case: 'leafHash', value: hashes[i]! },
        treeSize: 0n,
      });
      assert.equal(byHash.index, BigInt(i));
    }
    for (const m of [1, 2, 3, 100, 1023, 1024, 1025, 5000, hashes.length - 1, hashes.length]) {
      const p = await client.getConsistencyProof({ fromSize: BigInt(m), toSize: 0n });
      verifyConsistency(BigInt(m), cp.size, naiveRoot(hashes.slice(0, m)), cp.rootHash, p.hashes);
      assert.deepEqual(p.hashes.map(hex), naiveConsistency(m, hashes).map(hex));
    }
  });

  it('puts every bad message in INGRESS_REJECTED with its reason and original headers', async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const want = expectedRejects.size;
    const deadline = Date.now() + 10_000;
    while ((await jsm.streams.info(REJECTED_STREAM)).state.messages < want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const consumer = await js.consumers.get(REJECTED_STREAM, { deliver_policy: DeliverPolicy.All });
    const seen = new Map<string, string>();
    const batch = await consumer.fetch({ max_messages: want, expires: 5000 });
    for await (const m of batch) {
      const reason = m.headers?.get('Rejection-Reason') ?? '';
      seen.set(m.headers?.get('Nats-Msg-Id') ?? '', reason.split(':')[0] ?? '');
      assert.equal(m.headers?.get('X-Test'), 'kept');
      if (seen.size === want) break;
    }
    assert.deepEqual(new Map([...seen].sort()), new Map([...expectedRejects].sort()));
  });
});

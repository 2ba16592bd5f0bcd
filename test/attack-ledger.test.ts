// Attacks on a real ledger (real nats-server, SQLite, witness, collector), then `audit` and `verify`
// (issue #6). Each attack must be detected with exit 1 and the right location; the untouched log
// must audit clean with exit 0. The steps build on each other, so they run in order.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { changesSubject, silentLogger } from '../packages/runtime/index.js';
import {
  cosignatureVkey,
  formatTlogProof,
  generateKey,
  parseCheckpoint,
  parseNote,
  parseTlogProof,
  signNote,
} from '../packages/tlog/index.js';
import { connectLedger } from '../services/cli/ledger-client.js';
import { sampleChange, signLeaf } from '../services/cli/testing/memory-log.js';
import { cli, jsonLines } from '../services/cli/testing/run-cli.js';
import { ledgerConfig, startLedger } from '../services/ledger/index.js';
import { CLUSTER, ledgerSettings, type Stack, startStack, tamper } from './attack-support.js';
import { eventually, ingressCreateEvent, postEvents } from './cli-support.js';
import { haveNatsServer, startNatsServer } from './support/nats-server.js';

interface Failure {
  code: string;
  index?: number;
  size?: number;
}

async function publishedSize(grpc: string): Promise<bigint> {
  const api = connectLedger(grpc, {}, 5000);
  try {
    return parseCheckpoint(parseNote((await api.getCheckpoint()).note).text).size;
  } finally {
    api.close();
  }
}

async function publishLeaves(natsUrl: string, leaves: { leaf: Uint8Array; id: string }[]): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const js = jetstream(nc);
    for (const l of leaves) await js.publish(changesSubject(CLUSTER), l.leaf, { msgID: l.id });
  } finally {
    await nc.close();
  }
}

const idOf = (leaf: Uint8Array) =>
  `${CLUSTER}/${(JSON.parse(parseNote(leaf).text) as { auditID: string }).auditID}`;

describe('attacks on a real ledger', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 240_000,
}, () => {
  let s: Stack;
  let state: string;
  let untouched: { leaf: Uint8Array }[] = [];
  const audit = async (extra: string[] = [], grpc = s.grpc, policy = s.policyFile) => {
    const r = await cli([
      'audit',
      '--grpc',
      grpc,
      '--policy',
      policy,
      '--collector-vkey',
      s.collector.vkey,
      '--json',
      '--workers',
      '2',
      ...extra,
    ]);
    const out = jsonLines(r.stdout).at(-1) ?? {};
    return { ...r, out, failures: (out.failures ?? []) as Failure[] };
  };

  before(async () => {
    s = await startStack();
    state = join(s.dir, 'audit-state.json');
    const events = Array.from({ length: 30 }, (_, i) => ingressCreateEvent(`attack-${i}`, `app-${i}`));
    assert.equal(await postEvents(s.webhook, s.token, events), 200);
    await eventually(
      async () => ((await publishedSize(s.grpc)) >= 30n ? true : undefined),
      60_000,
      'size 30',
    );
  });
  after(async () => {
    await s?.close();
  });

  it('an untouched log audits clean (exit 0)', async () => {
    const r = await audit(['--state', state]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.out.size, 30);
    assert.equal(r.out.collectorSignatures, 'verified');
    const api = connectLedger(s.grpc);
    try {
      untouched = await api.getEntries(0n, 20n);
    } finally {
      api.close();
    }
  });

  it('verify: a proof with one hash changed, or the wrong index, is exit 1 INCLUSION', async () => {
    const out = join(s.dir, 'e7');
    assert.equal(
      (await cli(['prove', '--grpc', s.grpc, '--index', '7', '--out', out, '--policy', s.policyFile])).status,
      0,
    );
    const args = (proof: string) => [
      'verify',
      '--policy',
      s.policyFile,
      '--proof',
      proof,
      '--leaf',
      `${out}.leaf`,
      '--collector-vkey',
      s.collector.vkey,
      '--json',
    ];
    assert.equal((await cli(args(`${out}.tlog-proof`))).status, 0);
    const p = parseTlogProof(readFileSync(`${out}.tlog-proof`));
    const h = new Uint8Array(p.hashes[2] as Uint8Array);
    h[7] = (h[7] ?? 0) ^ 0x80;
    writeFileSync(
      join(s.dir, 'hash.tlog-proof'),
      formatTlogProof({ ...p, hashes: p.hashes.map((x, i) => (i === 2 ? h : x)) }),
    );
    writeFileSync(join(s.dir, 'index.tlog-proof'), formatTlogProof({ ...p, index: 8n }));
    for (const [file, index] of [
      ['hash.tlog-proof', 7],
      ['index.tlog-proof', 8],
    ] as const) {
      const r = await cli(args(join(s.dir, file)));
      assert.equal(r.status, 1, r.stderr);
      const error = jsonLines(r.stdout)[0]?.error as { code?: string; index?: number } | undefined;
      assert.deepEqual([error?.code, error?.index], ['INCLUSION', index]);
    }
  });

  it('verify: a checkpoint signed by another key is exit 1 LOG_SIGNATURE', async () => {
    const out = join(s.dir, 'e3');
    assert.equal((await cli(['prove', '--grpc', s.grpc, '--index', '3', '--out', out])).status, 0);
    const p = parseTlogProof(readFileSync(`${out}.tlog-proof`));
    const text = p.checkpoint.slice(0, p.checkpoint.indexOf('\n\n') + 1);
    writeFileSync(
      `${out}.tlog-proof`,
      formatTlogProof({ ...p, checkpoint: signNote(text, generateKey(s.logKey.name)) }),
    );
    const r = await cli([
      'verify',
      '--policy',
      s.policyFile,
      '--proof',
      `${out}.tlog-proof`,
      '--leaf',
      `${out}.leaf`,
      '--collector-vkey',
      s.collector.vkey,
      '--json',
    ]);
    assert.equal(r.status, 1);
    assert.equal((jsonLines(r.stdout)[0]?.error as { code?: string } | undefined)?.code, 'LOG_SIGNATURE');
  });

  it('audit: one cosignature missing under a 2-of-2 policy is exit 1 QUORUM', async () => {
    const second = generateKey('witness.test/two');
    const twoOfTwo = join(s.dir, 'policy-2of2');
    writeFileSync(
      twoOfTwo,
      `log ${s.logKey.vkey}\nwitness w1 ${cosignatureVkey(s.witnessKey)}\nwitness w2 ${cosignatureVkey(second)}\n` +
        'group both all w1 w2\nquorum both\n',
    );
    const r = await audit([], s.grpc, twoOfTwo);
    assert.equal(r.status, 1);
    assert.equal(r.failures[0]?.code, 'QUORUM');
  });

  it('audit: a leaf forged without a trusted collector key is exit 1 at its index', async () => {
    const forged = signLeaf(sampleChange(1, CLUSTER), s.forger);
    await publishLeaves(s.nats.url, [{ leaf: forged, id: idOf(forged) }]);
    await eventually(
      async () => ((await publishedSize(s.grpc)) >= 31n ? true : undefined),
      30_000,
      'size 31',
    );
    const r = await audit();
    assert.equal(r.status, 1);
    assert.deepEqual(
      r.failures.map((f) => [f.code, f.index]),
      [['COLLECTOR_SIGNATURE', 30]],
    );
  });

  it("audit: a leaf's bytes changed in SQLite is exit 1 at its index", async () => {
    tamper(s.dbFile, (db) => {
      const row = db.prepare('SELECT leaf FROM entries WHERE idx = 13').get() as { leaf: Buffer };
      const leaf = Buffer.from(row.leaf.toString('utf8').replace('"create"', '"delete"'));
      db.prepare('UPDATE entries SET leaf = ? WHERE idx = 13').run(leaf);
    });
    const r = await audit();
    assert.equal(r.status, 1);
    assert.ok(
      r.failures.some((f) => f.code === 'TREE' && f.index === 13),
      JSON.stringify(r.failures),
    );
    assert.ok(r.failures.some((f) => f.code === 'COLLECTOR_SIGNATURE' && f.index === 13));
  });

  it('audit: two entries swapped is exit 1 naming the first', async () => {
    tamper(s.dbFile, (db) => {
      const get = db.prepare('SELECT leaf, leaf_hash FROM entries WHERE idx = ?');
      const a = get.get(3) as { leaf: Buffer; leaf_hash: Buffer };
      const b = get.get(20) as { leaf: Buffer; leaf_hash: Buffer };
      const put = db.prepare('UPDATE entries SET leaf = ?, leaf_hash = ? WHERE idx = ?');
      put.run(b.leaf, b.leaf_hash, 3);
      put.run(a.leaf, a.leaf_hash, 20);
    });
    const r = await audit();
    assert.equal(r.status, 1);
    // The ledger serves level-0 proof hashes from the rows the attacker swapped too, so the search
    // can pin the difference down to the pair of leaves 2-3 (the smallest range it can prove).
    const tree = r.failures.find((f) => f.code === 'TREE');
    assert.ok(tree?.index === 2 || tree?.index === 3, JSON.stringify(r.failures));
  });

  it('history rewritten with the log key (last 10 dropped): the witness refuses, audit reports it', async () => {
    const original = untouched;
    assert.equal(original.length, 20);
    // The operator keeps the first 20 entries of its real history (as read before any tampering)
    // and starts over with the same log key on a new store.
    const nats = await startNatsServer();
    const rogueDir = s.dir;
    let rogue = await startLedger(ledgerConfig(ledgerSettings(rogueDir, nats.url, s.policyFile, 'rogue')), {
      logger: silentLogger(),
    });
    try {
      const leaves = original.map((e) => ({ leaf: e.leaf, id: idOf(e.leaf) }));
      await publishLeaves(nats.url, leaves);
      // The witness has cosigned size 31 of this origin: it never cosigns this rewritten tree.
      await new Promise((r) => setTimeout(r, 1500));
      const check = await cli([
        'checkpoint',
        '--grpc',
        rogue.grpcAddress,
        '--policy',
        s.policyFile,
        '--timeout',
        '3s',
      ]);
      assert.notEqual(check.status, 0, 'the rewritten tree has no cosigned checkpoint');

      // Without a witness the operator can publish it, signed with the log key alone.
      await rogue.close();
      rogue = await startLedger(ledgerConfig(ledgerSettings(rogueDir, nats.url, undefined, 'rogue')), {
        logger: silentLogger(),
      });
      await eventually(
        async () => ((await publishedSize(rogue.grpcAddress)) >= 20n ? true : undefined),
        30_000,
        'rogue 20',
      );
      const shrunk = await audit(['--state', state], rogue.grpcAddress, s.logOnlyPolicyFile);
      assert.equal(shrunk.status, 1);
      assert.deepEqual(
        shrunk.failures.map((f) => [f.code, f.size]),
        [['ROLLBACK', 20]],
      );

      // Growing past the trusted size does not hide the fork: no consistency proof can exist.
      const more = Array.from({ length: 15 }, (_, i) =>
        signLeaf(sampleChange(500 + i, CLUSTER), s.collector),
      );
      await publishLeaves(
        nats.url,
        more.map((leaf) => ({ leaf, id: idOf(leaf) })),
      );
      await eventually(
        async () => ((await publishedSize(rogue.grpcAddress)) >= 35n ? true : undefined),
        30_000,
        'rogue 35',
      );
      const forked = await audit(['--state', state], rogue.grpcAddress, s.logOnlyPolicyFile);
      assert.equal(forked.status, 1);
      assert.ok(
        forked.failures.some((f) => f.code === 'CONSISTENCY' && f.size === 30),
        JSON.stringify(forked.failures),
      );
      assert.ok(
        forked.failures.some((f) => f.code === 'ROLLBACK' && f.size === 30),
        JSON.stringify(forked.failures),
      );
    } finally {
      await rogue.close().catch(() => {});
      await nats.stop({ removeStore: true });
    }
  });
});

// Witnesses and real ledgers (real nats-server, SQLite, loopback HTTP): a 2-of-3 quorum with
// witnesses going down and coming back, a fork by a second ledger holding the same key, and a
// ledger restored from an old backup. The ledger that cannot gather cosignatures never publishes,
// and its log says why.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { CHANGE_SCHEMA, type Change, changeIdentity, makeLeaf } from '../packages/change/index.js';
import { CHECKPOINTS_SUBJECT, changesSubject, writeKeyFiles } from '../packages/runtime/index.js';
import {
  cosignatureVkey,
  generateKey,
  type PrivateKey,
  parsePolicy,
  parseVkey,
  verifyCheckpointNote,
} from '../packages/tlog/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { publishedMarkPath } from '../services/ledger/published-mark.js';
import { type RunningWitness, startWitness } from '../services/witness/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

interface LogLine {
  msg: string;
  witness?: string;
  failure?: string;
}

const root = mkdtempSync(join(tmpdir(), 'witness-ledger-'));
const logKey = generateKey('example.com/witnessed-ledger');
const collectorKey = generateKey('collector/wl');
writeKeyFiles(join(root, 'log'), logKey.skey, logKey.vkey);
writeFileSync(join(root, 'collectors.vkeys'), `${collectorKey.vkey}\n`);

interface WitnessNode {
  key: PrivateKey;
  dir: string;
  port: number;
  running?: RunningWitness | undefined;
}
const witnesses: WitnessNode[] = [1, 2, 3].map((i) => ({
  key: generateKey(`witness.example/wl${i}`),
  dir: join(root, `witness-${i}`),
  port: 0,
}));
async function wUp(n: WitnessNode): Promise<void> {
  n.running = await startWitness(
    { dataDir: n.dir, listen: `127.0.0.1:${n.port}`, key: n.key, logs: [parseVkey(logKey.vkey)] },
    { logger: pino({ level: 'silent' }) },
  );
  n.port = Number(new URL(n.running.url).port);
}
async function wDown(n: WitnessNode): Promise<void> {
  await n.running?.close();
  n.running = undefined;
}

function writePolicy(): string {
  const lines = [`log ${logKey.vkey}`];
  for (const [i, n] of witnesses.entries()) {
    lines.push(`witness w${i + 1} ${cosignatureVkey(n.key)} http://127.0.0.1:${n.port}`);
  }
  lines.push('group two 2 w1 w2 w3', 'quorum two');
  const file = join(root, 'policy.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function change(auditID: string): Change {
  return {
    schema: CHANGE_SCHEMA,
    cluster: 'wl',
    auditID,
    verb: 'update',
    action: 'update',
    object: {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'ingresses',
      namespace: 'web',
      name: 'front',
      uid: 'u-1',
      resourceVersion: auditID,
    },
    user: { username: 'alice' },
    sourceIPs: ['10.0.0.1'],
    userAgent: 'kubectl',
    requestReceivedTimestamp: '2025-03-14T09:00:00.000001Z',
    stageTimestamp: '2025-03-14T09:00:00.000002Z',
    responseCode: 200,
    reason: null,
    request: { spec: { rules: [] } },
    response: null,
    source: 'audit-webhook',
    observedAt: '2025-03-14T09:00:01.000Z',
  };
}

/** A ledger on its own NATS, with a log capture and a feed of published checkpoint notes. */
class LedgerUnderTest {
  lines: LogLine[] = [];
  notes: string[] = [];
  ledger?: RunningLedger | undefined;
  registry?: Registry;
  #nc?: NatsConnection;
  #sub?: Subscription;

  constructor(
    readonly nats: NatsServer,
    readonly dataDir: string,
  ) {}

  async start(): Promise<void> {
    this.#nc ??= await connect({ servers: this.nats.url });
    if (this.#sub === undefined) {
      this.#sub = this.#nc.subscribe(CHECKPOINTS_SUBJECT);
      void (async () => {
        for await (const m of this.#sub!) this.notes.push(m.string());
      })();
    }
    const logger = pino(
      { level: 'info' },
      { write: (s: string) => void this.lines.push(JSON.parse(s) as LogLine) },
    );
    const config = ledgerConfig({
      'data-dir': this.dataDir,
      'nats-url': this.nats.url,
      'grpc-listen': '127.0.0.1:0',
      key: join(root, 'log.key'),
      'collector-keys': join(root, 'collectors.vkeys'),
      origin: logKey.name,
      'witness-policy': writePolicy(),
      'checkpoint-interval': '50ms',
      'verify-workers': '1',
    });
    this.registry = new Registry();
    this.ledger = await startLedger(config, { logger, registry: this.registry });
  }

  /** How many times each pipeline stage was observed (ingress_ledger_ledger_stage_seconds). */
  async stageCounts(): Promise<Map<string, number>> {
    const metric = await this.registry?.getSingleMetric('ingress_ledger_ledger_stage_seconds')?.get();
    const counts = new Map<string, number>();
    for (const v of metric?.values ?? []) {
      if ((v as { metricName?: string }).metricName?.endsWith('_count'))
        counts.set(String(v.labels.stage), v.value);
    }
    return counts;
  }

  async append(...ids: string[]): Promise<void> {
    const js = jetstream(this.#nc!);
    for (const id of ids) {
      const c = change(id);
      await js.publish(changesSubject(c.cluster), makeLeaf(c, collectorKey).leaf, {
        msgID: changeIdentity(c),
      });
    }
  }

  /** The latest published note whose size is `size`, once it arrives. */
  async published(size: bigint, timeoutMs = 8000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const note = this.notes.find((n) => n.split('\n')[1] === String(size));
      if (note !== undefined) return note;
      if (Date.now() > until) throw new Error(`no checkpoint of size ${size} published`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async failures(timeoutMs = 8000): Promise<LogLine[]> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const f = this.lines.filter((l) => l.failure !== undefined);
      if (f.length > 0) return f;
      await new Promise((r) => setTimeout(r, 25));
    }
    return [];
  }

  async stop(): Promise<void> {
    await this.ledger?.close();
    this.ledger = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.#nc?.close();
  }
}

const policy = () =>
  parsePolicy(
    `log ${logKey.vkey}\n${witnesses.map((n, i) => `witness w${i + 1} ${cosignatureVkey(n.key)}`).join('\n')}\ngroup two 2 w1 w2 w3\nquorum two\n`,
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('witnessed ledgers', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 120_000,
}, () => {
  let natsA: NatsServer;
  let natsB: NatsServer;
  let a: LedgerUnderTest;
  let b: LedgerUnderTest;

  before(async () => {
    [natsA, natsB] = await Promise.all([startNatsServer(), startNatsServer()]);
    for (const n of witnesses) await wUp(n);
    a = new LedgerUnderTest(natsA, join(root, 'ledger-a'));
    b = new LedgerUnderTest(natsB, join(root, 'ledger-b'));
  });
  after(async () => {
    await a?.close();
    await b?.close();
    for (const n of witnesses) await wDown(n);
    await natsA?.stop({ removeStore: true });
    await natsB?.stop({ removeStore: true });
    rmSync(root, { recursive: true, force: true });
  });

  it('publishes 2-of-3 with one witness down, not with two, and catches up when they return', async () => {
    await a.start();
    await a.append('1', '2', '3');
    const three = await a.published(3n);
    assert.deepEqual(verifyCheckpointNote(three, policy()).cosigners.sort(), ['w1', 'w2', 'w3']);
    // Where the time went, per stage, on the way to that checkpoint (docs/performance.md).
    const stages = await a.stageCounts();
    for (const stage of ['queue', 'batch', 'verify', 'order', 'append', 'checkpoint', 'witness', 'publish']) {
      assert.ok((stages.get(stage) ?? 0) > 0, `stage ${stage} observed: ${JSON.stringify([...stages])}`);
    }

    await wDown(witnesses[2]!);
    await a.append('4');
    assert.deepEqual(verifyCheckpointNote(await a.published(4n), policy()).cosigners.sort(), ['w1', 'w2']);

    await wDown(witnesses[1]!);
    await a.append('5');
    await sleep(1000);
    assert.equal(a.notes.filter((n) => n.split('\n')[1] === '5').length, 0);
    assert.ok(a.lines.some((l) => l.msg.includes('missed the witness quorum')));

    await wUp(witnesses[1]!);
    await wUp(witnesses[2]!);
    const five = await a.published(5n);
    assert.equal(verifyCheckpointNote(five, policy()).cosigners.length, 3);
  });

  it('refuses a second ledger with the same key that forked after size 5', async () => {
    await b.start();
    // Start B's log from A's entries, then diverge: entry 6 differs.
    await b.append('1', '2', '3', '4', '5', '6-forked', '7-forked');
    await a.append('6', '7');
    await a.published(7n);
    const failures = await b.failures();
    assert.ok(failures.length > 0, 'the forked ledger says why it was refused');
    for (const f of failures)
      assert.ok(['fork', 'bad_proof', 'rollback'].includes(f.failure ?? ''), f.failure);
    await sleep(300);
    // B never publishes anything beyond A's prefix (size 5 is the same tree in both).
    for (const n of b.notes) assert.ok(BigInt(n.split('\n')[1] ?? '0') <= 5n, 'forked checkpoint published');
    await b.stop();
  });

  it('a ledger whose data dir was restored from an old copy refuses to start, naming the witnesses', async () => {
    await a.stop();
    const backup = join(root, 'ledger-a-backup');
    cpSync(a.dataDir, backup, { recursive: true });
    await a.start();
    await a.append('8', '9');
    await a.published(9n);
    await a.stop();
    // The whole data dir goes back: the store and its published-checkpoint mark together.
    rmSync(a.dataDir, { recursive: true, force: true });
    cpSync(backup, a.dataDir, { recursive: true });
    a.lines = [];
    await assert.rejects(a.start(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ROLLED_BACK');
      for (const w of ['w1', 'w2', 'w3'])
        assert.match(
          err.message,
          new RegExp(`${w} \\(rollback: the witness cosigned size 9; this store holds 7 entries\\)`),
        );
      assert.match(err.message, /restored from an older copy/);
      assert.match(err.message, /docs\/operations\.md/);
      return true;
    });
    assert.ok(
      a.lines.some((l) => l.msg.includes('witness w1 reports rollback against this log')),
      'the evidence is logged as it is found',
    );

    // An operator restoring on purpose moves the mark out (docs/operations.md): the ledger starts,
    // with the alarm raised, and the witnesses refuse its checkpoints until it has caught up.
    rmSync(publishedMarkPath(a.dataDir));
    a.lines = [];
    await a.start(); // at size 7 again; JetStream already acked 8 and 9
    assert.match(a.ledger!.readiness.failing().join('\n'), /^witness-evidence: .*w1 \(rollback/m);
    await a.append('10');
    const failures = await a.failures();
    assert.ok(
      failures.some((f) => f.failure === 'rollback'),
      JSON.stringify(failures),
    );
    await sleep(300);
    assert.equal(a.notes.filter((n) => n.split('\n')[1] === '8').length, 0);
  });
});

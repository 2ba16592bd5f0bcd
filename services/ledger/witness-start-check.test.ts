// The start-up check against the witnesses (checkAtStart of the witness cosigner) with real
// witnesses on loopback and hostile HTTP servers: which answers refuse the start, which raise the
// alarm and start, which only warn, and that it never waits longer than the witness timeout.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import {
  cosignatureVkey,
  generateKey,
  type PrivateKey,
  parsePolicy,
  verifyCheckpointNote,
} from '../../packages/tlog/index.js';
import type { MemoryLog } from '../../packages/tlog/testing.js';
import type { RunningWitness } from '../witness/index.js';
import {
  cosignOnce,
  evidenceGauge,
  keepingLogger,
  type LogLine,
  startTrio,
  trioLogs,
} from './testing/witness-trio.js';
import { createWitnessCosigner, type WitnessCosigner } from './witness-cosigner.js';
import type { StartState } from './witness-start-check.js';

const logKey = generateKey('example.com/start-check-log');
const keys: PrivateKey[] = [1, 2, 3].map((i) => generateKey(`witness.example/sc${i}`));
const root = mkdtempSync(join(tmpdir(), 'il-witness-start-'));
const { honest, forked } = trioLogs(logKey);

/** What the store looks like: its latest signed checkpoint is `log` at `signed`, it holds `entries`. */
const state = (log: MemoryLog, signed: number, entries = signed, marked = true): StartState => ({
  checkpoint: { size: BigInt(signed), note: log.checkpoint(BigInt(signed)) },
  entries: BigInt(entries),
  marked,
});

let run = 0;

describe('the start-up check against the witnesses', () => {
  let witnesses: RunningWitness[] = [];
  let lines: LogLine[] = [];
  let registry: Registry;
  const servers: Server[] = [];

  beforeEach(async () => {
    run++;
    lines = [];
    registry = new Registry();
    witnesses = await startTrio(join(root, `run-${run}`), keys, logKey);
  });
  afterEach(async () => {
    for (const w of witnesses) await w.close();
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** `urls` by witness name; by default the real witnesses'. */
  function policyText(quorum: string, urls: Record<string, string> = {}): string {
    const out = [`log ${logKey.vkey}`];
    for (const [i, key] of keys.entries()) {
      const name = `w${i + 1}`;
      out.push(`witness ${name} ${cosignatureVkey(key)} ${urls[name] ?? witnesses[i]?.url}`);
    }
    out.push('group two 2 w1 w2 w3', 'group any 1 w1 w2 w3', `quorum ${quorum}`);
    return `${out.join('\n')}\n`;
  }

  function cosigner(quorum = 'two', urls?: Record<string, string>, timeoutMs = 2000): WitnessCosigner {
    const logger = keepingLogger((l) => lines.push(l));
    return createWitnessCosigner({
      policy: parsePolicy(policyText(quorum, urls)),
      logger,
      registry,
      timeoutMs,
    });
  }

  /** Has the named witnesses cosign `log` at its size. */
  async function advance(log: MemoryLog, names: string[]): Promise<void> {
    const urls: Record<string, string> = {};
    for (const n of ['w1', 'w2', 'w3']) if (!names.includes(n)) urls[n] = 'http://127.0.0.1:9'; // never asked: quorum below
    const policy = policyText(names.length === 1 ? (names[0] as string) : 'two', urls).replace(
      'group two 2 w1 w2 w3',
      `group two ${names.length} ${names.join(' ')}`,
    );
    assert.ok(await cosignOnce(policy, log, 500));
  }

  const gauge = (witness: string, kind: string) => evidenceGauge(registry, witness, kind);

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const s = createServer(handler);
    servers.push(s);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
    const addr = s.address();
    return `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  }

  describe('when the witnesses that hold a larger tree leave too few for the quorum', () => {
    it('refuses the start, naming each witness, the sizes and where to read on', async () => {
      await advance(honest(9), ['w2', 'w3']);
      const c = cosigner();
      const why = await c.checkAtStart(state(honest(9), 7));
      assert.ok(why !== undefined);
      assert.match(why, /w2 \(rollback: the witness cosigned size 9; this store holds 7 entries\)/);
      assert.match(why, /w3 \(rollback: the witness cosigned size 9; this store holds 7 entries\)/);
      assert.doesNotMatch(why, /w1 \(/);
      assert.match(why, /latest signed checkpoint: size 7/);
      assert.match(why, /restored from an older copy/);
      assert.match(why, /docs\/operations\.md/);
      assert.equal(await gauge('w2', 'rollback'), 1);
      assert.ok(c.evidenceCheck() !== undefined);
      await c.close?.();
    });

    it('starts with the alarm raised when the published-checkpoint mark was moved out (a restore on purpose)', async () => {
      await advance(honest(9), ['w2', 'w3']);
      const c = cosigner();
      assert.equal(await c.checkAtStart(state(honest(9), 7, 7, false)), undefined);
      assert.equal(await gauge('w3', 'rollback'), 1);
      assert.match(c.evidenceCheck() ?? '', /w2 \(rollback/);
      assert.ok(lines.some((l) => l.level === 50 && /no published-checkpoint mark/.test(l.msg)));
      await c.close?.();
    });

    it('refuses a fork at our size too', async () => {
      await advance(forked(7), ['w1', 'w2', 'w3']);
      const c = cosigner();
      const why = await c.checkAtStart(state(honest(7), 7));
      assert.match(why ?? '', /w1 \(fork: the witness cosigned size 7 with another root hash/);
      await c.close?.();
    });
  });

  it('one witness of three with a larger tree: starts, the alarm raised and one error line', async () => {
    await advance(honest(9), ['w3']);
    await advance(honest(7), ['w1', 'w2']);
    const c = cosigner();
    assert.equal(await c.checkAtStart(state(honest(9), 7)), undefined);
    assert.equal(await gauge('w3', 'rollback'), 1);
    assert.equal(c.evidenceCheck(), undefined);
    assert.deepEqual(
      lines.filter((l) => l.level === 50).map((l) => l.witness),
      ['w3'],
    );
    // The two others cosigned the checkpoint they were asked about: the log goes on with them.
    const seven = honest(7);
    const note = await c.cosign(seven.checkpoint(), 7n, (f) => seven.consistencyProof(f));
    assert.deepEqual(verifyCheckpointNote(note!, parsePolicy(policyText('two'))).cosigners.sort(), [
      'w1',
      'w2',
    ]);
    await c.close?.();
  });

  it('a witness behind the store is normal: its size becomes the next proof`s start', async () => {
    await advance(honest(4), ['w1', 'w2', 'w3']);
    const c = cosigner();
    const seven = honest(7);
    assert.equal(await c.checkAtStart(state(seven, 7)), undefined);
    assert.equal(lines.filter((l) => l.level >= 40).length, 0, JSON.stringify(lines));
    // Sent with a proof from 4 at once: no 409 round trip, nothing refused.
    lines = [];
    const eight = honest(8);
    const note = await c.cosign(eight.checkpoint(), 8n, (f) => eight.consistencyProof(f));
    assert.equal(verifyCheckpointNote(note!, parsePolicy(policyText('two'))).cosigners.length, 3);
    assert.ok(!lines.some((l) => /another size; retrying/.test(l.msg)), 'the size was known');
  });

  it('a size the store holds beyond its latest signed checkpoint is not evidence (a lost checkpoint row)', async () => {
    await advance(honest(8), ['w1', 'w2', 'w3']);
    const c = cosigner();
    assert.equal(await c.checkAtStart(state(honest(8), 6, 8)), undefined);
    for (const w of ['w1', 'w2', 'w3']) assert.equal(await gauge(w, 'rollback'), 0);
    const nine = honest(9);
    const note = await c.cosign(nine.checkpoint(), 9n, (f) => nine.consistencyProof(f));
    assert.equal(verifyCheckpointNote(note!, parsePolicy(policyText('two'))).cosigners.length, 3);
    await c.close?.();
  });

  it('asks nothing when nothing is signed yet, or with quorum none', async () => {
    let asked = 0;
    const url = await serve((_req, res) => {
      asked++;
      res.writeHead(500).end();
    });
    const urls = { w1: url, w2: url, w3: url };
    const fresh: StartState = { checkpoint: undefined, entries: 0n, marked: false };
    assert.equal(await cosigner('two', urls).checkAtStart(fresh), undefined);
    assert.equal(await cosigner('none', urls).checkAtStart(state(honest(3), 3)), undefined);
    assert.equal(asked, 0);
  });

  it('witnesses that do not answer in time: starts within the timeout, with a warning for each', async () => {
    const hanging = await serve(() => {}); // never answers
    const c = cosigner('two', { w1: hanging, w2: hanging, w3: 'http://127.0.0.1:9' }, 500);
    const t0 = performance.now();
    assert.equal(await c.checkAtStart(state(honest(3), 3)), undefined);
    assert.ok(performance.now() - t0 < 2500, `took ${performance.now() - t0} ms`);
    const warned = lines.filter((l) => l.level === 40);
    assert.deepEqual(warned.map((l) => `${l.witness} ${l.failure}`).sort(), [
      'w1 timeout',
      'w2 timeout',
      'w3 unreachable',
    ]);
    assert.equal(c.evidenceCheck(), undefined);
    await c.close?.();
  });

  const hostile: [string, number, string, string, string][] = [
    ['a 409 of junk', 409, 'text/x.tlog.size', '11abc\n', 'bad_response'],
    ['a 409 of another content type', 409, 'text/plain', '9\n', 'bad_response'],
    ['a 409 size beyond 2^63', 409, 'text/x.tlog.size', '99999999999999999999\n', 'bad_response'],
    ['a 200 of junk', 200, 'text/plain', 'not a cosignature\n', 'bad_cosignature'],
    ['an answer larger than any cosignature', 200, 'text/plain', 'x'.repeat(200_000), 'unreachable'],
    ['a 403', 403, 'text/plain', '', 'forbidden'],
    ['a 500', 500, 'text/plain', 'boom', 'http_500'],
  ];
  for (const [name, status, type, body, failure] of hostile) {
    it(`${name} is no evidence: a warning ("${failure}"), and the start goes on`, async () => {
      const url = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': type }).end(body);
      });
      const c = cosigner('w1', { w1: url });
      assert.equal(await c.checkAtStart(state(honest(3), 3)), undefined);
      assert.deepEqual(
        lines.filter((l) => l.level === 40).map((l) => l.failure),
        [failure],
      );
      assert.equal(await gauge('w1', 'rollback'), 0);
      await c.close?.();
    });
  }

  it('a truncated answer (connection cut mid-body) is no evidence either', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(409, { 'content-type': 'text/x.tlog.size', 'content-length': '10' });
      res.write('9');
      res.socket?.destroy();
    });
    const c = cosigner('w1', { w1: url });
    assert.equal(await c.checkAtStart(state(honest(3), 3)), undefined);
    assert.equal(c.evidenceCheck(), undefined);
    assert.equal(lines.filter((l) => l.level === 40).length, 1);
    await c.close?.();
  });
});

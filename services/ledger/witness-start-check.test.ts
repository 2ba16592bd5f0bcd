// The start-up check against the witnesses (checkAtStart of the witness cosigner) with real
// witnesses on loopback and hostile HTTP servers: which answers refuse the start, which raise the
// alarm and start, which only warn, and that it never waits longer than the witness timeout.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { MemoryLog } from '../../packages/tlog/testing.js';
import { WitnessTrio } from './testing/witness-trio.js';
import type { StartState } from './witness-start-check.js';

const t = new WitnessTrio('start-check');
const { honest, forked } = t;

/** What the store looks like: its latest signed checkpoint is `log` at `signed`, it holds `entries`. */
const state = (log: MemoryLog, signed: number, entries = signed, marked = true): StartState => ({
  checkpoint: { size: BigInt(signed), note: log.checkpoint(BigInt(signed)) },
  entries: BigInt(entries),
  marked,
});

describe('the start-up check against the witnesses', () => {
  const servers: Server[] = [];

  beforeEach(() => t.start());
  afterEach(async () => {
    await t.stop();
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  after(() => t.remove());

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const s = createServer(handler);
    servers.push(s);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
    const addr = s.address();
    return `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  }

  describe('when the witnesses that hold a larger tree leave too few for the quorum', () => {
    it('refuses the start, naming each witness, the sizes and where to read on', async () => {
      await t.advance(honest(9), ['w2', 'w3']);
      const c = t.cosigner();
      const why = await c.checkAtStart(state(honest(9), 7));
      assert.ok(why !== undefined);
      assert.match(why, /w2 \(rollback: the witness cosigned size 9; this store holds 7 entries\)/);
      assert.match(why, /w3 \(rollback: the witness cosigned size 9; this store holds 7 entries\)/);
      assert.doesNotMatch(why, /w1 \(/);
      assert.match(why, /latest signed checkpoint: size 7/);
      assert.match(why, /restored from an older copy/);
      assert.match(why, /docs\/operations\.md/);
      assert.equal(await t.gauge('w2', 'rollback'), 1);
      assert.ok(c.evidenceCheck() !== undefined);
      await c.close?.();
    });

    it('starts with the alarm raised when the published-checkpoint mark was moved out (a restore on purpose)', async () => {
      await t.advance(honest(9), ['w2', 'w3']);
      const c = t.cosigner();
      assert.equal(await c.checkAtStart(state(honest(9), 7, 7, false)), undefined);
      assert.equal(await t.gauge('w3', 'rollback'), 1);
      assert.match(c.evidenceCheck() ?? '', /w2 \(rollback/);
      assert.ok(t.lines.some((l) => l.level === 50 && /no published-checkpoint mark/.test(l.msg)));
      await c.close?.();
    });

    it('refuses a fork at our size too', async () => {
      await t.advance(forked(7), ['w1', 'w2', 'w3']);
      const c = t.cosigner();
      const why = await c.checkAtStart(state(honest(7), 7));
      assert.match(why ?? '', /w1 \(fork: the witness cosigned size 7 with another root hash/);
      await c.close?.();
    });
  });

  it('one witness of three with a larger tree: starts, the alarm raised and one error line', async () => {
    await t.advance(honest(9), ['w3']);
    await t.advance(honest(7), ['w1', 'w2']);
    const c = t.cosigner();
    assert.equal(await c.checkAtStart(state(honest(9), 7)), undefined);
    assert.equal(await t.gauge('w3', 'rollback'), 1);
    assert.equal(c.evidenceCheck(), undefined);
    assert.deepEqual(
      t.lines.filter((l) => l.level === 50).map((l) => l.witness),
      ['w3'],
    );
    // The two others cosigned the checkpoint they were asked about: the log goes on with them.
    const seven = honest(7);
    const note = await t.cosign(c, seven);
    assert.deepEqual(t.cosigners(note), ['w1', 'w2']);
    await c.close?.();
  });

  it('a witness behind the store is normal: its size becomes the next proof`s start', async () => {
    await t.advance(honest(4), ['w1', 'w2', 'w3']);
    const c = t.cosigner();
    const seven = honest(7);
    assert.equal(await c.checkAtStart(state(seven, 7)), undefined);
    assert.equal(t.lines.filter((l) => l.level >= 40).length, 0, JSON.stringify(t.lines));
    // Sent with a proof from 4 at once: no 409 round trip, nothing refused.
    t.lines.length = 0;
    const eight = honest(8);
    const note = await t.cosign(c, eight);
    assert.equal(t.cosigners(note).length, 3);
    assert.ok(!t.lines.some((l) => /another size; retrying/.test(l.msg)), 'the size was known');
  });

  it('a size the store holds beyond its latest signed checkpoint is not evidence (a lost checkpoint row)', async () => {
    await t.advance(honest(8), ['w1', 'w2', 'w3']);
    const c = t.cosigner();
    assert.equal(await c.checkAtStart(state(honest(8), 6, 8)), undefined);
    for (const w of ['w1', 'w2', 'w3']) assert.equal(await t.gauge(w, 'rollback'), 0);
    const nine = honest(9);
    const note = await t.cosign(c, nine);
    assert.equal(t.cosigners(note).length, 3);
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
    assert.equal(await t.cosigner('two', urls).checkAtStart(fresh), undefined);
    assert.equal(await t.cosigner('none', urls).checkAtStart(state(honest(3), 3)), undefined);
    assert.equal(asked, 0);
  });

  it('witnesses that do not answer in time: starts within the timeout, with a warning for each', async () => {
    const hanging = await serve(() => {}); // never answers
    const c = t.cosigner('two', { w1: hanging, w2: hanging, w3: 'http://127.0.0.1:9' }, 500);
    const t0 = performance.now();
    assert.equal(await c.checkAtStart(state(honest(3), 3)), undefined);
    assert.ok(performance.now() - t0 < 2500, `took ${performance.now() - t0} ms`);
    const warned = t.lines.filter((l) => l.level === 40);
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
      const c = t.cosigner('w1', { w1: url });
      assert.equal(await c.checkAtStart(state(honest(3), 3)), undefined);
      assert.deepEqual(
        t.lines.filter((l) => l.level === 40).map((l) => l.failure),
        [failure],
      );
      assert.equal(await t.gauge('w1', 'rollback'), 0);
      await c.close?.();
    });
  }

  it('a truncated answer (connection cut mid-body) is no evidence either', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(409, { 'content-type': 'text/x.tlog.size', 'content-length': '10' });
      res.write('9');
      res.socket?.destroy();
    });
    const c = t.cosigner('w1', { w1: url });
    assert.equal(await c.checkAtStart(state(honest(3), 3)), undefined);
    assert.equal(c.evidenceCheck(), undefined);
    assert.equal(t.lines.filter((l) => l.level === 40).length, 1);
    await c.close?.();
  });
});

// The static tlog-tiles read path of a real ledger over real HTTP (DESIGN 10): a log of 100,000
// signed entries, so hash tiles reach level 2 (65,536 leaves per level-2 hash) and the last tiles of
// every level are partial. Every tile and entry is checked against leaf hashes computed here and
// the served checkpoint's root; nothing past that checkpoint is served, however it is asked for.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { changesSubject, silentLogger } from '../../packages/runtime/index.js';
import { fetchCheckpointNote, foldHashes, openTiles, TileLog } from '../../packages/tiles-client/index.js';
import {
  CompactRange,
  encodeEntryBundle,
  entriesPath,
  generateKey,
  HASH_SIZE,
  leafHash,
  parseCheckpoint,
  parseEntryBundle,
  parseNote,
  TILE_WIDTH,
  tilePath,
  verifyInclusion,
} from '../../packages/tlog/index.js';
import {
  type KeySetup,
  ledgerSettings,
  makeChange,
  setupKeys,
  signChange,
  stopLedgerRig,
} from '../../test/ledger-fixtures.js';
import {
  freePort,
  haveNatsServer,
  type NatsServer,
  startNatsServer,
} from '../../test/support/nats-server.js';
import { SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import { type BuiltLog, buildSignedStore } from '../../test/tiles-fixtures.js';
import { ledgerConfig, type RunningLedger, startLedger } from './index.js';
import { LogStore } from './store.js';
import { IMMUTABLE_CACHE } from './tiles-http.js';

const skip = haveNatsServer() ? false : 'no nats-server';
const SIZE = 100_000;
const withBody = (i: number) => i % 9973 === 5;

/** A request sent as written: no URL normalization on the way. */
function raw(path: string, method = 'GET', body?: string): Promise<{ status: number }> {
  const url = new URL(rawBase);
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
let rawBase = '';

async function get(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe('the static tiles of a 100,000-entry ledger over HTTP', { skip, timeout: 600_000 }, () => {
  let nats: NatsServer;
  let keys: KeySetup;
  let ledger: RunningLedger;
  let built: BuiltLog;
  let base = '';
  let metricsUrl = '';

  before(async () => {
    nats = await startNatsServer();
    keys = setupKeys('ledger.test/tiles', ['c1']);
    const collector = keys.collectors.get('c1')!;
    built = buildSignedStore(join(keys.dir, 'data'), collector, 'c1', SIZE, withBody);
    const metricsPort = await freePort();
    ledger = await startLedger(
      ledgerConfig(
        ledgerSettings(keys, nats.url, {
          'http-listen': '127.0.0.1:0',
          'metrics-listen': `127.0.0.1:${metricsPort}`,
          // The start signs and publishes size 100,000; nothing else is published for an hour.
          'checkpoint-interval': '1h',
          'verify-workers': '1',
          // Indexing 100,000 entries would hold the ingest of the late entries behind it.
          search: 'off',
        }),
      ),
      { logger: silentLogger() },
    );
    base = ledger.tilesUrl ?? '';
    rawBase = base;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  });
  after(async () => {
    await stopLedgerRig({ ledger, nats, dir: keys.dir });
  });

  it('serves the published checkpoint exactly as GetCheckpoint has it', async () => {
    const { res, bytes } = await get(`${base}/checkpoint`);
    assert.equal(res.status, 200);
    const cp = parseCheckpoint(parseNote(new TextDecoder().decode(bytes)).text);
    assert.equal(cp.size, BigInt(SIZE));
    assert.equal(cp.origin, 'ledger.test/tiles');
    let range = CompactRange.empty();
    for (const h of built.leafHashes) range = range.append(h);
    assert.deepEqual(cp.rootHash, range.root());
    assert.match(res.headers.get('cache-control') ?? '', /^public, max-age=\d$/);
  });

  it('serves every hash tile of every level at the width the tree gives it, from the stored nodes', async () => {
    // Level 0 from the leaf hashes, every level above from the full tiles below it.
    let below = Buffer.concat(built.leafHashes);
    for (let level = 0; below.length > 0; level++) {
      const hashes = below.length / HASH_SIZE;
      const tiles = Math.ceil(hashes / TILE_WIDTH);
      const roots: Uint8Array[] = [];
      for (let n = 0; n < tiles; n++) {
        const width = Math.min(TILE_WIDTH, hashes - n * TILE_WIDTH);
        const { res, bytes } = await get(`${base}/${tilePath(level, BigInt(n), width)}`);
        assert.equal(res.status, 200, `tile ${level}/${n}`);
        const want = below.subarray(n * TILE_WIDTH * HASH_SIZE, (n * TILE_WIDTH + width) * HASH_SIZE);
        assert.ok(Buffer.from(bytes).equals(want), `tile ${level}/${n} width ${width}`);
        assert.equal(
          res.headers.get('cache-control'),
          width === TILE_WIDTH ? IMMUTABLE_CACHE : 'public, max-age=5',
        );
        if (width === TILE_WIDTH) roots.push(foldHashes(bytes, 0, TILE_WIDTH));
      }
      below = Buffer.concat(roots);
      assert.ok(level < 3, 'three tile levels at most for 100,000 leaves');
    }
  });

  it('serves every entry bundle, each leaf hashing to its leaf hash', async () => {
    const fetcher = openTiles(base);
    try {
      const log = new TileLog(fetcher, BigInt(SIZE));
      for (let n = 0; n * TILE_WIDTH < SIZE; n++) {
        const leaves = await log.entryBundle(BigInt(n));
        leaves.forEach((leaf, i) => {
          assert.deepEqual(
            leafHash(leaf),
            built.leafHashes[n * TILE_WIDTH + i],
            `entry ${n * TILE_WIDTH + i}`,
          );
        });
      }
      assert.equal(SIZE % TILE_WIDTH, 160);
      const last = await get(`${base}/${entriesPath(BigInt(Math.floor(SIZE / TILE_WIDTH)), 160)}`);
      assert.equal(last.res.status, 200);
      assert.equal(parseEntryBundle(last.bytes).length, 160);
    } finally {
      fetcher.close();
    }
  });

  it('proves entries from the tiles alone (inclusion against the checkpoint root)', async () => {
    const fetcher = openTiles(base);
    try {
      const cp = parseCheckpoint(parseNote(await fetchCheckpointNote(fetcher)).text);
      const log = new TileLog(fetcher, cp.size);
      for (const i of [0, 1, 255, 256, 65_535, 65_536, 99_839, 99_840, SIZE - 1]) {
        const proof = await log.inclusionProof(BigInt(i));
        verifyInclusion(BigInt(i), cp.size, built.leafHashes[i]!, proof, cp.rootHash);
      }
      assert.equal((await log.consistencyProof(1000n)).length > 0, true);
    } finally {
      fetcher.close();
    }
  });

  it('serves an older partial width of a tile, and the same bytes as the full tile start with', async () => {
    const full = await get(`${base}/tile/0/000`);
    const part = await get(`${base}/tile/0/000.p/7`);
    assert.equal(part.res.status, 200);
    assert.deepEqual(part.bytes, full.bytes.subarray(0, 7 * HASH_SIZE));
    const bundle = await get(`${base}/tile/entries/001.p/3`);
    assert.equal(bundle.res.status, 200);
    assert.equal(parseEntryBundle(bundle.bytes).length, 3);
  });

  it('serves bodies by digest, immutable', async () => {
    assert.ok(built.bodies.size >= 10);
    for (const [sha, data] of built.bodies) {
      const { res, bytes } = await get(`${base}/bodies/${sha}`);
      assert.equal(res.status, 200);
      assert.deepEqual(bytes, data);
      assert.equal(res.headers.get('cache-control'), IMMUTABLE_CACHE);
      assert.equal(res.headers.get('etag'), `"${sha}"`);
    }
    const absent = await get(`${base}/bodies/${'0'.repeat(64)}`);
    assert.equal(absent.res.status, 404);
  });

  it('answers conditional GETs with 304 and HEAD with the headers alone', async () => {
    for (const path of ['checkpoint', 'tile/0/000', 'tile/1/000.p/134', 'tile/entries/000']) {
      const first = await get(`${base}/${path}`);
      const etag = first.res.headers.get('etag') ?? '';
      assert.ok(etag.startsWith('"'), path);
      const again = await get(`${base}/${path}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.res.status, 304, path);
      assert.equal(again.bytes.length, 0);
      const weak = await get(`${base}/${path}`, { headers: { 'if-none-match': `"x", W/${etag}` } });
      assert.equal(weak.res.status, 304, path);
      const other = await get(`${base}/${path}`, { headers: { 'if-none-match': '"nope"' } });
      assert.equal(other.res.status, 200, path);
      const head = await get(`${base}/${path}`, { method: 'HEAD' });
      assert.equal(head.res.status, 200);
      assert.equal(head.bytes.length, 0);
      assert.equal(head.res.headers.get('content-length'), String(first.bytes.length));
      assert.equal(head.res.headers.get('etag'), etag);
    }
  });

  it('answers 404 for what is past the checkpoint or absent, 400 for malformed paths, 405 for writes', async () => {
    const cases: [string, number][] = [
      ['tile/0/x390/625', 404], // index 390625: a full tile that would need 100M leaves
      ['tile/0/390', 404], // the last level-0 tile is partial: no full one yet
      ['tile/0/390.p/161', 404], // wider than the tree has
      ['tile/0/390.p/160', 200],
      ['tile/entries/390', 404],
      ['tile/entries/390.p/161', 404],
      ['tile/entries/391.p/1', 404],
      ['tile/3/000.p/1', 404], // level 3 needs 16M leaves
      ['tile/5/000.p/1', 404],
      ['tile/6/000', 400],
      ['tile/0/x018/x446/x744/x073/x709/x551/615', 404], // 2^64-1: parsed, absent
      ['tile/0/x018/x446/x744/x073/x709/x551/616', 400], // 2^64: too large
      ['tile/0/x000/001', 400], // leading zero group
      ['tile/0/1', 400],
      ['tile/0/0001', 400],
      ['tile/0/000.p/0', 400],
      ['tile/0/000.p/256', 400],
      ['tile/0/000.p/007', 400],
      ['tile/0/000.p/', 400],
      ['tile/0/-01', 400],
      ['tile/0/../000', 400],
      ['tile/%30/000', 400],
      ['tile/entries/000/', 400],
      [`tile/0/${'x000/'.repeat(40)}000`, 400],
      ['bodies/ABC', 400],
      [`bodies/${'A'.repeat(64)}`, 400],
      [`bodies/${'a'.repeat(65)}`, 400],
      ['checkpoint/', 404],
      ['../checkpoint', 404],
      ['', 404],
    ];
    for (const [path, status] of cases) {
      const { res } = await get(`${base}/${path}`);
      assert.equal(res.status, status, path);
      if (status !== 200) assert.equal(res.headers.get('cache-control'), 'no-store', path);
    }
    const long = await get(`${base}/tile/0/${'x000/'.repeat(300)}000`);
    assert.equal(long.res.status, 414);
    // Outside /tiles/ is the console's (mounted at the root), which knows no such page.
    const other = await get(`${ledger.httpUrl}/no-such-page`);
    assert.equal(other.res.status, 404);
    const post = await get(`${base}/checkpoint`, { method: 'POST', body: 'x' });
    assert.equal(post.res.status, 405);
    assert.equal(post.res.headers.get('allow'), 'GET, HEAD');
    const tilesPath = new URL(base).pathname;
    for (const [path, status] of [
      [`${tilesPath}/tile/0/../000`, 400],
      [`${tilesPath}/tile/0/%2e%2e/000`, 400],
      [`${tilesPath}/../tiles/checkpoint`, 404],
      [`${tilesPath}/bodies/..%2f..%2fetc%2fpasswd`, 400],
      ['*', 404],
    ] as const) {
      assert.equal((await raw(path)).status, status, path);
    }
    assert.equal((await raw(`${tilesPath}/checkpoint`, 'GET', 'x')).status, 413);
    assert.equal((await raw(`${tilesPath}/checkpoint`, 'DELETE')).status, 405);
  });

  it('serves nothing of entries committed after the published checkpoint', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const js = jetstream(nc);
      const collector = keys.collectors.get('c1')!;
      for (let i = 0; i < 200; i++) {
        const c = makeChange('c1', `late-${i}`);
        await js.publish(changesSubject('c1'), signChange(c, collector), { msgID: `c1/late-${i}` });
      }
    } finally {
      await nc.close();
    }
    // Wait until the ledger has committed them (its tree size metric), unpublished for an hour.
    const until = Date.now() + 60_000;
    for (;;) {
      const text = await (await fetch(metricsUrl)).text();
      const m = /^ingress_ledger_ledger_tree_size(?:\{[^}]*\})? (\d+)/m.exec(text);
      if (m !== null && Number(m[1]) === SIZE + 200) break;
      assert.ok(
        Date.now() < until,
        `the late entries were not committed: ${text
          .split('\n')
          .filter((l) => /tree_size|rejected|appended|pending/.test(l))
          .join('; ')}`,
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    const cp = await get(`${base}/checkpoint`);
    assert.equal(parseCheckpoint(parseNote(new TextDecoder().decode(cp.bytes)).text).size, BigInt(SIZE));
    for (const [path, status] of [
      ['tile/0/390.p/160', 200],
      ['tile/0/390.p/161', 404],
      ['tile/0/390', 404],
      ['tile/entries/390.p/161', 404],
      ['tile/entries/391.p/104', 404],
      ['tile/1/001.p/135', 404],
      ['tile/1/001.p/134', 200],
    ] as const) {
      assert.equal((await get(`${base}/${path}`)).res.status, status, path);
    }
    const metrics = await (await fetch(metricsUrl)).text();
    const counted = (name: string, ...labels: string[]) =>
      metrics
        .split('\n')
        .some((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)) && / [1-9]\d*$/.test(l));
    assert.ok(counted('ingress_ledger_ledger_tile_requests_total', 'kind="tile"', 'code="404"'));
    assert.ok(counted('ingress_ledger_ledger_tile_requests_total', 'kind="body"', 'code="200"'));
    assert.ok(counted('ingress_ledger_ledger_http_requests_total', 'route="tiles"', 'code="200"'));
    assert.ok(counted('ingress_ledger_ledger_http_requests_total', 'route="console"', 'code="404"'));
  });

  it('encodes bundles as packages/tlog does', async () => {
    const { bytes } = await get(`${base}/tile/entries/000.p/2`);
    assert.deepEqual(bytes, encodeEntryBundle(parseEntryBundle(bytes)));
  });
});

// Tessera's golden log (../shared/testdata/tessera-golden-log): the same 15 entries under the same
// origin and key, served by a real ledger at size 15, give every partial tile and bundle the golden
// layout holds, and its checkpoint, byte for byte.
const GOLDEN = sharedTestdata('tessera-golden-log/log');
const GOLDEN_ENTRIES =
  'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(' ');
const GOLDEN_SKEY =
  'PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg';

describe('a ledger holding the tessera golden log', {
  skip: skip || (GOLDEN ? false : SHARED_MISSING),
}, () => {
  let nats: NatsServer;
  let dir = '';
  let ledger: RunningLedger | undefined;

  before(async () => {
    nats = await startNatsServer();
    dir = mkdtempSync(join(tmpdir(), 'il-golden-'));
    writeFileSync(join(dir, 'log.key'), `${GOLDEN_SKEY}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'collectors.vkeys'), `${generateKey('collector/c1').vkey}\n`);
    const store = new LogStore(join(dir, 'data'));
    store.append(
      GOLDEN_ENTRIES.map((e) => {
        const leaf = new TextEncoder().encode(e);
        return { leaf, leafHash: leafHash(leaf), identity: `golden/${e}`, bodies: new Map() };
      }),
    );
    store.close();
    ledger = await startLedger(
      ledgerConfig({
        'data-dir': join(dir, 'data'),
        'nats-url': nats.url,
        'grpc-listen': '127.0.0.1:0',
        'http-listen': '127.0.0.1:0',
        key: join(dir, 'log.key'),
        'collector-keys': join(dir, 'collectors.vkeys'),
        search: 'off',
        'verify-workers': '1',
      }),
      { logger: silentLogger() },
    );
  });
  after(async () => {
    await ledger?.close();
    await nats?.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the golden checkpoint, every partial level-0 tile and every entry bundle byte for byte', async () => {
    const base = ledger?.tilesUrl ?? '';
    const golden = (rel: string) => new Uint8Array(readFileSync(join(GOLDEN ?? '', rel)));
    const cp = await get(`${base}/checkpoint`);
    assert.deepEqual(cp.bytes, golden('checkpoint.15'));
    for (let n = 1; n <= GOLDEN_ENTRIES.length; n++) {
      for (const path of [tilePath(0, 0n, n), entriesPath(0n, n)]) {
        const { res, bytes } = await get(`${base}/${path}`);
        assert.equal(res.status, 200, path);
        assert.deepEqual(bytes, golden(path), path);
      }
    }
    assert.equal((await get(`${base}/tile/0/000.p/16`)).res.status, 404);
  });
});

// Static tiles served per second by the ledger's read HTTP listener at 1M entries, as a ratio of
// the same server's empty-response rate (goal >= 0.8x). One server, one router, three routes: the
// real tiles route over a store of `entries` leaves, the same route with its full-tile cache off
// (every tile read from the stored nodes), and an empty 200. A forked child requests random full
// level-0 hash tiles (and, for reference, random full entry bundles) with `concurrency` requests in
// flight over keep-alive connections, in alternating rounds.
// Run: npx tsc -p . && node dist/loadtest/tiles.js [entries, default 1000000] [seconds, default 4]
//      [concurrency, default 64]
// The store is built once (about a minute per million entries) under the temp dir and reused.
import { existsSync, mkdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { silentLogger } from '../packages/runtime/index.js';
import {
  entriesPath,
  formatCheckpoint,
  generateKey,
  signNote,
  TILE_WIDTH,
  tilePath,
} from '../packages/tlog/index.js';
import { ledgerMetrics } from '../services/ledger/metrics.js';
import { type ReadRoute, sendText, serveReadHttp } from '../services/ledger/read-http.js';
import { LogStore } from '../services/ledger/store.js';
import { TileReader } from '../services/ledger/tile-reader.js';
import { tilesRoute } from '../services/ledger/tiles-http.js';
import { buildStore } from './lib/build-store.js';
import { forkLoad, markToParent, reportToParent } from './lib/fork.js';
import { formatResult, runLoad } from './lib/load.js';

const DEFAULT_ENTRIES = 1_000_000;
const DEFAULT_SECONDS = 4;
const DEFAULT_CONCURRENCY = 64;
const ROUNDS = 2;
/** Small leaves: tiles do not depend on leaf size, and the store builds faster. */
const LEAF_BYTES = 300;
const EMPTY = 'empty 200';
const TILES = 'hash tile (cached)';
const UNCACHED = 'hash tile (from stored nodes)';
const BUNDLES = 'entry bundle';

function get(agent: Agent, port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function child(port: number, entries: number, seconds: number, concurrency: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const tiles = Math.floor(entries / TILE_WIDTH);
  const random = () => BigInt(Math.floor(Math.random() * tiles));
  const calls: [string, () => Promise<void>][] = [
    [EMPTY, () => get(agent, port, '/empty/')],
    [TILES, () => get(agent, port, `/tiles/${tilePath(0, random())}`)],
    [UNCACHED, () => get(agent, port, `/uncached/${tilePath(0, random())}`)],
    [BUNDLES, () => get(agent, port, `/tiles/${entriesPath(random())}`)],
  ];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [kind, call] of calls) {
      const name = `${kind} (round ${round})`;
      const result = await runLoad({
        call,
        concurrency,
        durationMs: seconds * 1000,
        onMeasureStart: () => markToParent(`start:${name}`),
      });
      markToParent(`end:${name}`);
      reportToParent(name, result);
    }
  }
  agent.destroy();
}

async function parent(entries: number, seconds: number, concurrency: number): Promise<void> {
  const dir = join(tmpdir(), `il-tiles-bench-${entries}`);
  if (!existsSync(join(dir, 'built'))) {
    console.log(`building a store of ${entries} entries in ${dir} (once)`);
    const built = buildStore(dir, entries, LEAF_BYTES);
    mkdirSync(join(dir, 'built'));
    console.log(`built in ${built.seconds.toFixed(0)} s`);
  }
  const store = new LogStore(dir);
  const key = generateKey('bench.example/tiles');
  const size = store.size;
  const rootHash = store.root();
  const note = signNote(formatCheckpoint({ origin: key.name, size, rootHash, extensions: [] }), key);
  const published = () => ({ note, origin: key.name, size, rootHash });
  // The ledger's own metrics, so their cost is measured too.
  const metrics = ledgerMetrics(new Registry(), () => 0);
  const requests = metrics.tileRequests;
  const empty: ReadRoute = {
    prefix: '/empty/',
    name: 'empty',
    handle: (_req, res) => sendText(res, 200, ''),
  };
  const uncached = {
    ...tilesRoute({ reader: new TileReader(store, 0), published, requests }),
    prefix: '/uncached/',
  };
  const server = await serveReadHttp({
    host: '127.0.0.1',
    port: 0,
    routes: [tilesRoute({ reader: new TileReader(store), published, requests }), uncached, empty],
    logger: silentLogger(),
    requests: metrics.httpRequests,
  });
  const port = Number(new URL(server.url).port);
  console.log(
    `tiles: ${size} entries, ${concurrency} requests in flight from a child process, ${seconds} s each`,
  );
  const cpuAtMark = new Map<string, NodeJS.CpuUsage>();
  const cpuUsed = new Map<string, number>();
  const results = await forkLoad(
    fileURLToPath(import.meta.url),
    ['--child', String(port), String(size), String(seconds), String(concurrency)],
    (mark) => {
      const [edge, name] = mark.split(':', 2) as [string, string];
      if (edge === 'start') cpuAtMark.set(name, process.cpuUsage());
      const since = cpuAtMark.get(name);
      if (edge === 'end' && since !== undefined) {
        const d = process.cpuUsage(since);
        cpuUsed.set(name, d.user + d.system);
      }
    },
  );
  const best = new Map<string, number>();
  for (const { name, result } of results) {
    const used = cpuUsed.get(name);
    const perCall = used === undefined ? '' : ` server CPU ${(used / result.calls).toFixed(0)} us/request`;
    console.log(formatResult(name, result) + perCall);
    const kind = name.replace(/ \(round \d+\)$/, '');
    best.set(kind, Math.max(best.get(kind) ?? 0, result.callsPerSecond));
  }
  const base = best.get(EMPTY) ?? 0;
  for (const kind of [TILES, UNCACHED, BUNDLES]) {
    const rate = best.get(kind) ?? 0;
    console.log(
      `${kind}: ${rate.toFixed(0)}/s = ${(rate / base).toFixed(2)}x the empty-response rate (best round each)`,
    );
  }
  await server.close();
  store.close();
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(Number(args[1]), Number(args[2]), Number(args[3]), Number(args[4]));
  process.exit(0);
} else {
  const entries = Number(args[0] ?? DEFAULT_ENTRIES);
  const seconds = Number(args[1] ?? DEFAULT_SECONDS);
  const concurrency = Number(args[2] ?? DEFAULT_CONCURRENCY);
  if (
    !Number.isInteger(entries) ||
    entries < TILE_WIDTH ||
    !(seconds > 0) ||
    !Number.isInteger(concurrency) ||
    concurrency < 1
  ) {
    console.error('usage: tiles [entries >= 256] [seconds > 0] [concurrency >= 1]');
    process.exit(2);
  }
  await parent(entries, seconds, concurrency);
}

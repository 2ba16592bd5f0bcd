// Drain benchmark (issue 3): fill INGRESS_CHANGES with N signed ~1.5 KB changes, then start the
// ledger and time until all are in a signed checkpoint. Reports the drain rate against one core's
// node:crypto Ed25519 verify rate measured in the same run (goal: ratio >= 1.0), plus RSS and disk.
// By default it drains twice from the same stream, search off then on, and prints both rates and
// onOverOff (goal >= 0.9); with search on it also times until the follower has indexed every entry.
// Each run reports the main thread's event-loop delay, the mean append transaction and the time
// the ledger's writes waited for a search follower transaction (write-gate.ts).
// Run: `npx tsc -p . && node dist/loadtest/ledger-drain.js [N]` (default 200000; needs nats-server).
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import {
  CHANGES_STREAM,
  changesSubject,
  createRegistry,
  ensureStreams,
  LEDGER_CONSUMER,
  selectCrypto,
  silentLogger,
} from '../packages/runtime/index.js';
import { ledgerConfig, startLedger } from '../services/ledger/index.js';
import { DB_FILE } from '../services/ledger/store.js';
import { makeChange, setupKeys, signChange } from '../test/ledger-fixtures.js';
import { startNatsServer } from '../test/support/nats-server.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

const N = Number(process.argv[2] ?? 200_000);
/** Bytes of each change's canonical JSON: a typical Ingress update. */
const CHANGE_BYTES = 1400;

function singleCoreVerifyRate(): number {
  const seed = Buffer.alloc(32, 7);
  const priv = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const pub = createPublicKey(priv);
  const msg = Buffer.alloc(CHANGE_BYTES, 1);
  const sig = sign(null, msg, priv);
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < 1000) {
      verify(null, msg, pub, sig);
      n++;
    }
    best = Math.max(best, n / ((performance.now() - start) / 1000));
  }
  return best;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux only; else 0). */
function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The pid of the nats-server child listening on `port`, found through /proc (Linux only). */
function natsServerPid(port: number): number | undefined {
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(d)) continue;
      const args = readFileSync(`/proc/${d}/cmdline`, 'latin1').split('\0');
      if (args[0]?.endsWith('nats-server') && args[args.indexOf('-p') + 1] === String(port)) return Number(d);
    }
  } catch {}
  return undefined;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) total += statSync(join(dir, f)).size;
  return total;
}

const verifyRate = singleCoreVerifyRate();
const keys = setupKeys('bench.local/drain', ['c1']);
const nats = await startNatsServer();
const nc = await connect({ servers: nats.url });
const jsm = await jetstreamManager(nc);
await ensureStreams(jsm);
const js = jetstream(nc);
const key = keys.collectors.get('c1')!;
let leafBytes = 0;
const fillStart = performance.now();
for (let at = 0; at < N; at += 1000) {
  const acks: Promise<unknown>[] = [];
  for (let i = at; i < Math.min(N, at + 1000); i++) {
    const leaf = signChange(makeChange('c1', `d${i}`, CHANGE_BYTES), key);
    leafBytes += leaf.length;
    acks.push(js.publish(changesSubject('c1'), leaf, { msgID: `c1/d${i}` }));
  }
  await Promise.all(acks);
}
const fillSeconds = (performance.now() - fillStart) / 1000;

// BENCH_SEARCH=on|off runs one mode; by default both run on the same stream, off first.
const modes = process.env.BENCH_SEARCH === undefined ? ['off', 'on'] : [process.env.BENCH_SEARCH];
// BENCH_PROFILE=file.cpuprofile profiles the main thread during the (last) drain only.
const profile = process.env.BENCH_PROFILE;

interface Drain {
  search: string;
  drainSeconds: number;
  drainPerSecond: number;
  /** Until every entry is also in the search index (search on). */
  indexedSeconds?: number;
  peakRssMB: number;
  diskBytes: number;
  /**
   * CPU time per entry while draining, in microseconds: the ledger's process (main thread,
   * verify workers, this harness's polling) and nats-server. Less sensitive to other load on the
   * machine than the rate: on 2 cores the goal needs their sum near 2 / (verify rate).
   */
  cpuMicrosPerEntry: { ledger: number; nats: number };
  /** The main thread's event-loop delay during the drain (what an indexing chunk held it up). */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** Mean append transaction, including any wait for the search follower's lock. */
  commitMeanMs: number;
  /** Total time appends and checkpoints waited for a follower transaction. */
  gateWaitSeconds: number;
  commits: number;
}

/** A metric's value whose series name is `series` (a counter's own name, a histogram's _sum/_count). */
async function metricValue(registry: ReturnType<typeof createRegistry>, name: string, series = name) {
  const m = await registry.getSingleMetric(name)?.get();
  const named = (v: object) => ((v as { metricName?: string }).metricName ?? name) === series;
  return m?.values.filter(named).reduce((n, v) => n + v.value, 0) ?? 0;
}

function indexedSize(file: string): bigint {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const v = db.prepare("SELECT indexed FROM search_progress WHERE key = 'indexed'").pluck().get();
      return BigInt((v as number | bigint | undefined) ?? 0);
    } finally {
      db.close();
    }
  } catch {
    return 0n;
  }
}

async function drain(search: string): Promise<Drain> {
  // Each mode reads the whole stream again from a fresh consumer into a fresh data directory.
  await jsm.consumers.delete(CHANGES_STREAM, LEDGER_CONSUMER).catch(() => {});
  const dataDir = join(keys.dir, `data-${search}`);
  const session = profile === undefined ? undefined : new Session();
  if (session !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const natsPid = natsServerPid(nats.port);
  const cpu0 = process.cpuUsage();
  const natsCpu0 = natsPid === undefined ? 0 : procCpuSeconds(natsPid);
  const registry = createRegistry('ledger');
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const start = performance.now();
  const ledger = await startLedger(
    ledgerConfig({
      'data-dir': dataDir,
      'nats-url': nats.url,
      'grpc-listen': '127.0.0.1:0',
      key: keys.keyFile,
      'collector-keys': keys.collectorKeysFile,
      search,
      // BENCH_VERIFY_WORKERS and BENCH_BATCH_SIZE try other settings than the defaults.
      ...(process.env.BENCH_VERIFY_WORKERS === undefined
        ? {}
        : { 'verify-workers': process.env.BENCH_VERIFY_WORKERS }),
      ...(process.env.BENCH_BATCH_SIZE === undefined ? {} : { 'batch-size': process.env.BENCH_BATCH_SIZE }),
    }),
    { logger: silentLogger(), registry },
  );
  const client = createClient(Ledger, ledger.grpcAddress);
  let size = 0n;
  let peakRss = 0;
  let seconds = 0;
  let indexedSeconds: number | undefined;
  let cpu = { user: 0, system: 0 };
  let natsCpu = 0;
  const file = join(dataDir, DB_FILE);
  while (seconds === 0 || (search === 'on' && indexedSeconds === undefined)) {
    await new Promise((r) => setTimeout(r, 100));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (seconds === 0) {
      size = (await client.getCheckpoint({})).size;
      if (size >= BigInt(N)) {
        seconds = (performance.now() - start) / 1000;
        cpu = process.cpuUsage(cpu0);
        natsCpu = natsPid === undefined ? 0 : procCpuSeconds(natsPid) - natsCpu0;
      }
    }
    if (search === 'on' && indexedSeconds === undefined && indexedSize(file) >= BigInt(N))
      indexedSeconds = (performance.now() - start) / 1000;
  }
  if (session !== undefined && profile !== undefined) {
    const { profile: data } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(data));
  }
  loop.disable();
  const commitSum = await metricValue(registry, 'ledger_commit_seconds', 'ledger_commit_seconds_sum');
  const commits = await metricValue(registry, 'ledger_commit_seconds', 'ledger_commit_seconds_count');
  const gateWaitSeconds = await metricValue(registry, 'ledger_write_gate_wait_seconds_total');
  client.close();
  await ledger.close();
  return {
    search,
    drainSeconds: +seconds.toFixed(2),
    drainPerSecond: Math.round(N / seconds),
    ...(indexedSeconds === undefined ? {} : { indexedSeconds: +indexedSeconds.toFixed(2) }),
    peakRssMB: Math.round(peakRss / 2 ** 20),
    diskBytes: dirBytes(dataDir),
    cpuMicrosPerEntry: {
      ledger: Math.round((cpu.user + cpu.system) / N),
      nats: Math.round((natsCpu * 1e6) / N),
    },
    loopDelayMs: {
      p50: +(loop.percentile(50) / 1e6).toFixed(1),
      p99: +(loop.percentile(99) / 1e6).toFixed(1),
      max: +(loop.max / 1e6).toFixed(1),
    },
    commitMeanMs: commits === 0 ? 0 : +((commitSum / commits) * 1000).toFixed(2),
    gateWaitSeconds: +gateWaitSeconds.toFixed(3),
    commits,
  };
}

const runs: Drain[] = [];
for (const mode of modes) runs.push(await drain(mode));
const on = runs.find((r) => r.search === 'on');
const off = runs.find((r) => r.search === 'off');
const main = on ?? off;
console.log(
  JSON.stringify(
    {
      entries: N,
      fillSeconds: +fillSeconds.toFixed(1),
      singleCoreVerifyPerSecond: Math.round(verifyRate),
      runs,
      // Goal >= 1.0: drain (search on when it ran) against one core's verify rate.
      ratio: main === undefined ? undefined : +(main.drainPerSecond / verifyRate).toFixed(2),
      // Goal >= 0.9: ingest with indexing and rules on against ingest without.
      onOverOff:
        on === undefined || off === undefined
          ? undefined
          : +(on.drainPerSecond / off.drainPerSecond).toFixed(2),
      // The same, counting until the index has caught up too.
      onIndexedOverOff:
        on?.indexedSeconds === undefined || off === undefined
          ? undefined
          : +(N / on.indexedSeconds / off.drainPerSecond).toFixed(2),
      leafBytes,
      diskOverLeafPlusNodes:
        main === undefined ? undefined : +(main.diskBytes / (leafBytes + 32 * 2 * N)).toFixed(3),
    },
    null,
    1,
  ),
);
await nc.close();
await nats.stop({ removeStore: true });
rmSync(keys.dir, { recursive: true, force: true });

// Drain benchmark (issue 3): fill INGRESS_CHANGES with N signed ~1.5 KB changes, then start the
// ledger and time until all are in a signed checkpoint. Reports the drain rate against one core's
// node:crypto Ed25519 verify rate measured in the same run (goal: ratio >= 1.0), plus RSS and disk.
// Run: `npx tsc -p . && node dist/loadtest/ledger-drain.js [N]` (default 200000; needs nats-server).
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import { changesSubject, ensureStreams, silentLogger } from '../packages/runtime/index.js';
import { ledgerConfig, startLedger } from '../services/ledger/index.js';
import { makeChange, setupKeys, signChange } from '../test/ledger-fixtures.js';
import { startNatsServer } from '../test/support/nats-server.js';

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

const dataDir = join(keys.dir, 'data');
// BENCH_PROFILE=file.cpuprofile profiles the main thread during the drain only.
const profile = process.env.BENCH_PROFILE;
const session = profile === undefined ? undefined : new Session();
if (session !== undefined) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const start = performance.now();
const ledger = await startLedger(
  ledgerConfig({
    'data-dir': dataDir,
    'nats-url': nats.url,
    'grpc-listen': '127.0.0.1:0',
    key: keys.keyFile,
    'collector-keys': keys.collectorKeysFile,
    search: process.env.BENCH_SEARCH ?? 'on',
  }),
  { logger: silentLogger() },
);
const client = createClient(Ledger, ledger.grpcAddress);
let size = 0n;
let peakRss = 0;
while (size < BigInt(N)) {
  await new Promise((r) => setTimeout(r, 100));
  size = (await client.getCheckpoint({})).size;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const seconds = (performance.now() - start) / 1000;
if (session !== undefined && profile !== undefined) {
  const { profile: data } = await session.post('Profiler.stop');
  writeFileSync(profile, JSON.stringify(data));
}
client.close();
await ledger.close();
const disk = dirBytes(dataDir);
const drainRate = N / seconds;
console.log(
  JSON.stringify(
    {
      entries: N,
      fillSeconds: +fillSeconds.toFixed(1),
      drainSeconds: +seconds.toFixed(2),
      drainPerSecond: Math.round(drainRate),
      singleCoreVerifyPerSecond: Math.round(verifyRate),
      ratio: +(drainRate / verifyRate).toFixed(2),
      peakRssMB: Math.round(peakRss / 2 ** 20),
      diskBytes: disk,
      leafBytes,
      diskOverLeafPlusNodes: +(disk / (leafBytes + 32 * 2 * N)).toFixed(3),
    },
    null,
    1,
  ),
);
await nc.close();
await nats.stop({ removeStore: true });
rmSync(keys.dir, { recursive: true, force: true });

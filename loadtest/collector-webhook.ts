// Collector webhook ingest: EventLists of 400 Ingress events posted by this process to a collector
// running as its own process (node dist/services/collector/main.js), measured to 200 (every change
// PubAck'ed). In the same run, for comparison: the single-core Ed25519 sign rate of a typical leaf
// and the JetStream async publish rate of leaf-sized messages (the two irreducible costs).
// Run: npx tsc -p . && node dist/loadtest/collector-webhook.js [events, default 40000] [concurrency, default 4]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { canonicalJson } from '../packages/change/index.js';
import { selectCrypto, writeKeyFiles } from '../packages/runtime/index.js';
import { generateKey, signNote } from '../packages/tlog/index.js';
import { freePort, startNatsServer } from '../test/support/nats-server.js';
import { ingressEvent } from './collector-events.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

/** Events per POST: the kube-apiserver's default --audit-webhook-batch-max-size. */
const BATCH = 400;
const DEFAULT_EVENTS = 40_000;
const DEFAULT_CONCURRENCY = 4;
/** How long the sign and publish baselines run. */
const BASELINE_MS = 2000;

const total = Number(process.argv[2] ?? DEFAULT_EVENTS);
const concurrency = Number(process.argv[3] ?? DEFAULT_CONCURRENCY);
if (!(total >= BATCH) || !(concurrency >= 1)) {
  console.error('usage: collector-webhook [events >= 400] [concurrency >= 1]');
  process.exit(2);
}

/** CPU seconds a process has used (user + system), from /proc on Linux; undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

function signRate(): { perSecond: number; leafBytes: number } {
  const key = generateKey('collector/bench');
  const text = `${canonicalJson({ ...ingressEvent('x', 1), observedAt: new Date().toISOString() })}\n`;
  let n = 0;
  const end = performance.now() + BASELINE_MS;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) signNote(text, key);
    n += 50;
  }
  return { perSecond: n / ((performance.now() - start) / 1000), leafBytes: Buffer.byteLength(text) };
}

async function publishRate(url: string, bytes: number): Promise<number> {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH', subjects: ['bench.>'], storage: StorageType.File });
  const js = jetstream(nc);
  const data = new Uint8Array(bytes).fill(0x61);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < BASELINE_MS) {
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < BATCH; i++) acks.push(js.publish('bench.x', data, { msgID: `b-${n + i}` }));
    await Promise.all(acks);
    n += BATCH;
  }
  const rate = n / ((performance.now() - start) / 1000);
  await jsm.streams.delete('BENCH');
  await nc.close();
  return rate;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'il-load-'));
  const nats = await startNatsServer();
  const key = generateKey('collector/load');
  writeKeyFiles(join(dir, 'collector'), key.skey, key.vkey);
  const token = 'load-token-0123456789abcdef';
  writeFileSync(join(dir, 'token'), token);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      // LOADTEST_PROFILE=DIR writes a CPU profile of the collector there.
      ...(process.env.LOADTEST_PROFILE !== undefined
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.LOADTEST_PROFILE}`]
        : []),
      // LOADTEST_COLLECTOR=PATH runs another build of the collector (an A/B against this one).
      process.env.LOADTEST_COLLECTOR ?? new URL('../services/collector/main.js', import.meta.url).pathname,
      '--cluster',
      'load',
      '--key',
      join(dir, 'collector.key'),
      '--nats-url',
      nats.url,
      '--webhook-listen',
      `127.0.0.1:${port}`,
      '--webhook-token-file',
      join(dir, 'token'),
      '--max-body-bytes',
      String(16 * 1024 * 1024),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  const url = `http://127.0.0.1:${port}/`;
  const healthy = async () => {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (i > 200) throw new Error('collector did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await healthy();
    const sign = signRate();
    const publish = await publishRate(nats.url, sign.leafBytes + 120);

    // Bodies are built before the clock starts: the sender is not what is measured.
    const batches: string[] = [];
    for (let b = 0; b * BATCH < total; b++) {
      const items = [];
      for (let i = 0; i < BATCH; i++) items.push(ingressEvent(`load-${b}-${i}`, b * BATCH + i));
      batches.push(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items }));
    }
    // Last before the clock starts: a kept-alive connection idle for longer than the server's
    // keep-alive timeout can be closed under the first POST (EPIPE); this one makes a fresh one.
    await healthy();
    let next = 0;
    let published = 0;
    const latencies: number[] = [];
    const cpuBefore = cpuSeconds(child.pid);
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batches.length) {
          const body = batches[next++]!;
          const t0 = performance.now();
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body,
          });
          const answer = (await res.json()) as { published?: number };
          if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
          latencies.push(performance.now() - t0);
          published += answer.published ?? 0;
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const cpuAfter = cpuSeconds(child.pid);
    // CPU per event is steadier than the rate on a shared machine: it does not count waiting for a core.
    const collectorCpuUsPerEvent =
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : Math.round(((cpuAfter - cpuBefore) * 1e6) / published);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    const ingest = published / seconds;
    const result = {
      events: published,
      seconds: Number(seconds.toFixed(2)),
      ingestEventsPerSecond: Math.round(ingest),
      batchLatencyMs: { p50: Math.round(pct(50)), p99: Math.round(pct(99)) },
      signPerSecondOneCore: Math.round(sign.perSecond),
      leafTextBytes: sign.leafBytes,
      jetstreamAsyncPublishPerSecond: Math.round(publish),
      ratioToLowerBaseline: Number((ingest / Math.min(sign.perSecond, publish)).toFixed(2)),
      collectorCpuUsPerEvent,
      concurrency,
    };
    console.log(JSON.stringify(result));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await nats.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

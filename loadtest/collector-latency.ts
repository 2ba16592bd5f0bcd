// End-to-end latency at a steady 1,000 events/s: from the webhook's 200 to the change being in a
// signed checkpoint. nats-server, the ledger and the collector each run as their own process (with
// their default batching and checkpoint interval); this process sends EventLists of 100 Ingress
// events every 100 ms and watches checkpoints over gRPC (WatchCheckpoints).
// Run: npx tsc -p . && node dist/loadtest/collector-latency.js [seconds, default 20] [events/s, default 1000]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import { selectCrypto } from '../packages/runtime/index.js';
import { generateKey } from '../packages/tlog/index.js';
import { freePort, startNatsServer } from '../test/support/nats-server.js';
import { ingressEvent } from './collector-events.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

/** Batches per second: the apiserver's batch backend flushes often at moderate rates. */
const BATCHES_PER_SECOND = 10;
const DEFAULT_SECONDS = 20;
const DEFAULT_RATE = 1000;

const seconds = Number(process.argv[2] ?? DEFAULT_SECONDS);
const rate = Number(process.argv[3] ?? DEFAULT_RATE);
if (!(seconds > 0) || !(rate >= BATCHES_PER_SECOND)) {
  console.error('usage: collector-latency [seconds] [events/s >= 10]');
  process.exit(2);
}
const perBatch = Math.round(rate / BATCHES_PER_SECOND);

// LOADTEST_DIST=DIR runs the services of another build (DIR is its dist/), for an A/B.
const base =
  process.env.LOADTEST_DIST === undefined ? import.meta.url : `file://${process.env.LOADTEST_DIST}/loadtest/`;

function node(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [new URL(script, base).pathname, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not start`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'il-latency-'));
  const nats = await startNatsServer();
  const logKey = generateKey('loadtest.local/latency');
  const collectorKey = generateKey('collector/lat');
  writeFileSync(join(dir, 'log.key'), `${logKey.skey}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'collector.key'), `${collectorKey.skey}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'collectors.vkeys'), `${collectorKey.vkey}\n`);
  const token = 'latency-token-0123456789abcdef';
  writeFileSync(join(dir, 'token'), token);
  const grpcPort = await freePort();
  const webhookPort = await freePort();
  const children = [
    node('../services/ledger/main.js', [
      '--data-dir',
      join(dir, 'data'),
      '--nats-url',
      nats.url,
      '--grpc-listen',
      `127.0.0.1:${grpcPort}`,
      '--key',
      join(dir, 'log.key'),
      '--collector-keys',
      join(dir, 'collectors.vkeys'),
      // LOADTEST_LEDGER_FLAGS adds ledger flags, e.g. "--search off" or "--batch-age 20ms".
      ...(process.env.LOADTEST_LEDGER_FLAGS ?? '').split(' ').filter((f) => f !== ''),
    ]),
    node('../services/collector/main.js', [
      '--cluster',
      'lat',
      '--key',
      join(dir, 'collector.key'),
      '--nats-url',
      nats.url,
      '--webhook-listen',
      `127.0.0.1:${webhookPort}`,
      '--webhook-token-file',
      join(dir, 'token'),
    ]),
  ];
  const url = `http://127.0.0.1:${webhookPort}/`;
  const client = createClient(Ledger, `127.0.0.1:${grpcPort}`);
  try {
    await until(() => fetch(`${url}healthz`).then((r) => r.ok), 'collector');
    await until(() => client.getCheckpoint({}).then(() => true), 'ledger');

    // Per batch: when the webhook answered 200, how many of its entries the log has, and the
    // highest index among them. A batch is in a checkpoint once all its entries are below its size.
    interface Batch {
      answeredAt?: number;
      seen: number;
      maxIndex: bigint;
      done: boolean;
    }
    const state = new Map<number, Batch>();
    const batchOf = (b: number): Batch => {
      let x = state.get(b);
      if (x === undefined) state.set(b, (x = { seen: 0, maxIndex: -1n, done: false }));
      return x;
    };
    const latencies: number[] = [];
    // Every checkpoint as it arrived. WatchEntries sends an entry only after a checkpoint covers
    // it, so when a batch's last entry arrives the checkpoint that covered it is already here: the
    // batch's time is that checkpoint's arrival, not the entry's (which trails it by the time the
    // ledger takes to read and send the entries).
    const checkpoints: { size: bigint; at: number }[] = [];
    const coveredAt = (index: bigint): number | undefined => checkpoints.find((c) => c.size > index)?.at;
    const settle = () => {
      for (const x of state.values()) {
        if (x.done || x.answeredAt === undefined || x.seen < perBatch) continue;
        const at = coveredAt(x.maxIndex);
        if (at === undefined) continue;
        x.done = true;
        latencies.push(Math.max(0, at - x.answeredAt));
      }
    };
    const decoder = new TextDecoder();
    const stop = new AbortController();
    const entriesWatch = (async () => {
      for await (const e of client.watchEntries({ fromIndex: 0n }, { signal: stop.signal })) {
        const text = decoder.decode(e.leaf);
        const m = /"auditID":"lat-(\d+)-/.exec(text);
        if (m === null) continue;
        const x = batchOf(Number(m[1]));
        x.seen++;
        if (e.index > x.maxIndex) x.maxIndex = e.index;
        settle();
      }
    })().catch(() => undefined);
    const checkpointWatch = (async () => {
      for await (const cp of client.watchCheckpoints({}, { signal: stop.signal })) {
        checkpoints.push({ size: cp.size, at: performance.now() });
        settle();
      }
    })().catch(() => undefined);

    const batches = Math.round(seconds * BATCHES_PER_SECOND);
    let sent = 0n;
    const inFlight: Promise<void>[] = [];
    const failed: string[] = [];
    const start = performance.now();
    for (let b = 0; b < batches; b++) {
      const due = start + (b * 1000) / BATCHES_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const items = Array.from({ length: perBatch }, (_, i) =>
        ingressEvent(`lat-${b}-${i}`, b * perBatch + i),
      );
      // Batches go out on schedule, as the apiserver's do, whether or not the last one was answered.
      inFlight.push(
        (async () => {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items }),
          });
          await res.arrayBuffer();
          if (res.status !== 200) {
            // Counted, not thrown: a rejection here would end this process before the finally
            // below and leave the services running. retry-after marks the in-flight limit.
            failed.push(`${res.status}${res.headers.has('retry-after') ? ' (too many in flight)' : ''}`);
            state.delete(b);
            return;
          }
          batchOf(b).answeredAt = performance.now();
          sent += BigInt(perBatch);
        })().catch((err: unknown) => {
          failed.push((err as Error).message);
          state.delete(b);
        }),
      );
    }
    await Promise.all(inFlight);
    const sendSeconds = (performance.now() - start) / 1000;
    const deadline = performance.now() + 20_000;
    while (latencies.length < batches - failed.length && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await Promise.all([entriesWatch, checkpointWatch]);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    console.log(
      JSON.stringify({
        eventsPerSecond: Math.round(Number(sent) / sendSeconds),
        batches: latencies.length,
        eventsPerBatch: perBatch,
        latencyMs: { p50: Math.round(pct(50)), p99: Math.round(pct(99)), max: Math.round(pct(100)) },
        unconfirmedBatches: batches - failed.length - latencies.length,
        failedBatches: failed.length,
        ...(failed.length > 0 ? { failures: [...new Set(failed)] } : {}),
      }),
    );
  } finally {
    client.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    await nats.stop({ removeStore: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

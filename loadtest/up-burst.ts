// The whole system as users run it (`ingress-ledger up`: nats-server, ledger, collector and a
// witness, all on this machine), measured from outside. First a burst: BURST events in EventLists
// of 400 from 4 concurrent posters. Then a steady RATE events/s (batches of RATE/10 every 100 ms)
// for STEADY seconds. Latency is webhook 200 → the first published (cosigned) checkpoint covering
// the batch, for the first 15 s after the burst and for the whole steady phase. Throughput over the
// burst is events / (first post → the checkpoint covering all of them), given as a ratio of one
// core's node:crypto Ed25519 verify rate measured in the same run. The burst's bodies are made before
// it starts (the apiserver is another machine), and the CPU each process and thread used during it
// is read from /proc (UP_BURST_BY_TID=1: per thread). It also prints the resident memory of up's
// process and its nats-server, and the ledger's time per pipeline stage
// (ingress_ledger_ledger_stage_seconds, mean per observation).
// Run: npx tsc -p . && node dist/loadtest/up-burst.js [burst=40000] [steady seconds=30] [events/s=1000]
// Memory over a million events: node dist/loadtest/up-burst.js 1000000 10
// UP_NODE_FLAGS: node flags for up (e.g. --cpu-prof); UP_STDOUT=1: up's stdout is shown (--trace-gc).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import { selectCrypto } from '../packages/runtime/index.js';
import { ingressEvent } from './collector-events.js';
import { verifyRate } from './lib/verify-rate.js';

selectCrypto();

const BURST_POSTERS = Number(process.env.UP_BURST_POSTERS ?? 4);
const BURST_BATCH = 400;
const BATCHES_PER_SECOND = 10;
const AFTER_BURST_MS = 15_000;
/** Bursts up to this many events have their bodies made before the clock starts. */
const PREBUILT_MAX_EVENTS = 100_000;

const burst = Number(process.argv[2] ?? 40_000);
const steadySeconds = Number(process.argv[3] ?? 30);
const rate = Number(process.argv[4] ?? 1000);
if (!(burst >= 0) || !(steadySeconds > 0) || !(rate >= BATCHES_PER_SECOND)) {
  console.error('usage: up-burst [burst events] [steady seconds] [events/s >= 10]');
  process.exit(2);
}
const perSteadyBatch = Math.round(rate / BATCHES_PER_SECOND);

interface Endpoints {
  grpc: string;
  webhook: string;
  webhookToken: string;
  metrics?: string;
  pid: number;
}

function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Math.round(Number(m[1]) / 1024);
  } catch {
    return undefined;
  }
}

function natsPid(upPid: number): number | undefined {
  try {
    for (const pid of readFileSync(`/proc/${upPid}/task/${upPid}/children`, 'utf8').trim().split(/\s+/)) {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nats-server') return Number(pid);
    }
  } catch {}
  return undefined;
}

/** CPU seconds used so far by each thread of `pid`, by thread name (utime + stime, /proc). */
function threadCpu(pid: number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (pid === undefined) return out;
  const tick = 100; // USER_HZ on Linux
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const cpu = (Number(f[11]) + Number(f[12])) / tick;
      const key = process.env.UP_BURST_BY_TID === undefined ? name : `${name}:${tid}`;
      out.set(key, (out.get(key) ?? 0) + cpu);
    }
  } catch {}
  return out;
}

/** The machine's busy and idle CPU seconds so far (/proc/stat). */
function machineCpu(): { busy: number; idle: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const busy = f.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
  return { busy: busy / 100, idle: idle / 100 };
}

/** CPU seconds per thread name between two threadCpu readings, largest first. */
function cpuSpent(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const rows = [...after].map(([k, v]) => [k, +(v - (before.get(k) ?? 0)).toFixed(2)] as const);
  return Object.fromEntries(rows.filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]));
}

async function stageMeans(metricsUrl: string | undefined): Promise<Record<string, string>> {
  if (metricsUrl === undefined) return {};
  const text = await (await fetch(metricsUrl)).text();
  const sum = new Map<string, number>();
  const count = new Map<string, number>();
  for (const m of text.matchAll(
    /^ingress_ledger_ledger_stage_seconds_(sum|count)\{[^}]*stage="(\w+)"[^}]*\} (\S+)$/gm,
  )) {
    (m[1] === 'sum' ? sum : count).set(m[2] as string, Number(m[3]));
  }
  const out: Record<string, string> = {};
  for (const [stage, n] of count) out[stage] = `${(((sum.get(stage) ?? 0) / n) * 1000).toFixed(1)} ms × ${n}`;
  return out;
}

async function main(): Promise<void> {
  const verifyPerSecond = verifyRate(1500, 2, 'node:crypto');
  const dir = mkdtempSync(join(tmpdir(), 'il-up-burst-'));
  const bin = new URL('../../bin/ingress-ledger.js', import.meta.url).pathname;
  const up: ChildProcess = spawn(
    process.execPath,
    [
      // e.g. UP_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile up's threads.
      ...(process.env.UP_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''),
      bin,
      'up',
      '--data-dir',
      dir,
      ...['grpc', 'webhook', 'witness', 'nats', 'metrics'].flatMap((p) => [`--${p}-port`, '0']),
    ],
    {
      stdio: ['ignore', process.env.UP_STDOUT ? 'inherit' : 'ignore', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  const endpointsFile = join(dir, 'endpoints.json');
  for (let i = 0; i < 600 && !existsSync(endpointsFile); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(endpointsFile)) throw new Error('up did not start');
  const ep = JSON.parse(readFileSync(endpointsFile, 'utf8')) as Endpoints;
  const client = createClient(Ledger, ep.grpc);
  const body = (id: string, n: number, seq: number): string =>
    JSON.stringify({
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: Array.from({ length: n }, (_, i) => ingressEvent(`${id}-${i}`, seq + i)),
    });
  const post = async (text: string): Promise<number> => {
    const res = await fetch(ep.webhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ep.webhookToken}` },
      body: text,
    });
    await res.arrayBuffer();
    return res.status;
  };

  // Per batch: when the webhook answered, how many of its entries are in the log and the highest
  // index among them; a batch is covered by the first checkpoint whose size is above that index.
  interface Batch {
    size: number;
    answeredAt?: number;
    seen: number;
    maxIndex: bigint;
    latencyMs?: number;
  }
  const batches = new Map<string, Batch>();
  const checkpoints: { size: bigint; at: number }[] = [];
  const coveredAt = (index: bigint) => checkpoints.find((c) => c.size > index)?.at;
  const settle = () => {
    for (const b of batches.values()) {
      if (b.latencyMs !== undefined || b.answeredAt === undefined || b.seen < b.size) continue;
      const at = coveredAt(b.maxIndex);
      if (at !== undefined) b.latencyMs = Math.max(0, at - b.answeredAt);
    }
  };
  const stop = new AbortController();
  const decoder = new TextDecoder();
  // The burst is the log's first `burst` entries, so it is covered by the first checkpoint of at
  // least that size: the CPU each thread used until then is read the moment that checkpoint arrives.
  let onBurstCovered: ((at: number) => void) | undefined;
  const watchEntries = () =>
    (async () => {
      for await (const e of client.watchEntries({ fromIndex: BigInt(burst) }, { signal: stop.signal })) {
        const m = /"auditID":"(\w+-\d+)-\d+"/.exec(decoder.decode(e.leaf));
        const b = m === null ? undefined : batches.get(m[1] as string);
        if (b === undefined) continue;
        b.seen++;
        if (e.index > b.maxIndex) b.maxIndex = e.index;
        settle();
      }
    })().catch(() => undefined);
  const watches = [
    (async () => {
      for await (const cp of client.watchCheckpoints({}, { signal: stop.signal })) {
        const at = performance.now();
        checkpoints.push({ size: cp.size, at });
        if (cp.size >= BigInt(burst) && onBurstCovered !== undefined) {
          onBurstCovered(at);
          onBurstCovered = undefined;
        }
        settle();
      }
    })().catch(() => undefined),
  ];
  const failures: number[] = [];
  // Resident memory each time another 100,000 events have been answered (the flat-memory goal
  // compares 1M with 100k: run with a burst of 1000000).
  const rssByEvents: Record<string, { up: number | undefined; nats: number | undefined }> = {};
  let answered = 0;
  const sample = (n: number) => {
    const before = answered;
    answered += n;
    if (Math.floor(answered / 100_000) > Math.floor(before / 100_000)) {
      const nats = natsPid(ep.pid);
      rssByEvents[String(Math.floor(answered / 100_000) * 100_000)] = {
        up: rssMb(ep.pid),
        nats: nats === undefined ? undefined : rssMb(nats),
      };
    }
  };
  const send = async (id: string, n: number, text: string): Promise<void> => {
    const b: Batch = { size: n, seen: 0, maxIndex: -1n };
    batches.set(id, b);
    const status = await post(text).catch(() => 0);
    if (status === 200) {
      b.answeredAt = performance.now();
      sample(n);
    } else {
      failures.push(status);
      batches.delete(id);
    }
  };
  const waitCovered = async (ids: string[], ms: number) => {
    const until = performance.now() + ms;
    while (
      ids.some((id) => batches.get(id)?.latencyMs === undefined && batches.has(id)) &&
      performance.now() < until
    )
      await new Promise((r) => setTimeout(r, 20));
  };
  try {
    // Burst. Its bodies are made first (the kube-apiserver that sends them is another machine),
    // unless there are too many to hold: a million events are made as they are sent.
    const perPoster = Math.ceil(burst / BURST_BATCH / BURST_POSTERS);
    const bodyOf = (n: number) =>
      body(`burst-${n}`, Math.min(BURST_BATCH, burst - n * BURST_BATCH), n * BURST_BATCH);
    const bodies = new Map<number, string>();
    for (let n = 0; n * BURST_BATCH < burst && burst <= PREBUILT_MAX_EVENTS; n++) bodies.set(n, bodyOf(n));
    let coveredAt: number | undefined;
    let burstCpu: Record<string, unknown> = {};
    const cpuBefore = {
      up: threadCpu(ep.pid),
      nats: threadCpu(natsPid(ep.pid)),
      loadgen: threadCpu(process.pid),
      machine: machineCpu(),
    };
    onBurstCovered = (at) => {
      coveredAt = at;
      burstCpu = {
        up: cpuSpent(cpuBefore.up, threadCpu(ep.pid)),
        nats: cpuSpent(cpuBefore.nats, threadCpu(natsPid(ep.pid))),
        loadgen: cpuSpent(cpuBefore.loadgen, threadCpu(process.pid)),
        machineBusy: +(machineCpu().busy - cpuBefore.machine.busy).toFixed(2),
        machineIdle: +(machineCpu().idle - cpuBefore.machine.idle).toFixed(2),
      };
    };
    const burstStart = performance.now();
    await Promise.all(
      Array.from({ length: BURST_POSTERS }, async (_, p) => {
        for (let k = 0; k < perPoster; k++) {
          const n = p * perPoster + k;
          if (n * BURST_BATCH >= burst) return;
          const id = `burst-${n}`;
          await send(id, Math.min(BURST_BATCH, burst - n * BURST_BATCH), bodies.get(n) ?? bodyOf(n));
          bodies.delete(n);
        }
      }),
    );
    const burstAnswered = performance.now();
    for (let i = 0; i < 6000 && coveredAt === undefined && failures.length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    if (coveredAt === undefined)
      throw new Error(`the burst was not covered (failed batches: ${failures.length})`);
    const burstSeconds = (coveredAt - burstStart) / 1000;
    watches.push(watchEntries());
    const memAfterBurst = {
      up: rssMb(ep.pid),
      nats: natsPid(ep.pid) === undefined ? undefined : rssMb(natsPid(ep.pid) as number),
    };

    // Steady, starting right after the burst was answered (not after it was covered).
    const steadyIds: { id: string; sentAt: number }[] = [];
    const start = performance.now();
    const inFlight: Promise<void>[] = [];
    const total = Math.round(steadySeconds * BATCHES_PER_SECOND);
    for (let k = 0; k < total; k++) {
      const wait = start + (k * 1000) / BATCHES_PER_SECOND - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const id = `steady-${k}`;
      steadyIds.push({ id, sentAt: performance.now() - burstAnswered });
      inFlight.push(send(id, perSteadyBatch, body(id, perSteadyBatch, burst + k * perSteadyBatch)));
    }
    await Promise.all(inFlight);
    await waitCovered(
      steadyIds.map((s) => s.id),
      20_000,
    );
    stop.abort();
    await Promise.all(watches);
    const pct = (xs: number[], p: number) => {
      const s = [...xs].sort((a, b) => a - b);
      return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN);
    };
    const lat = (pred: (sentAt: number) => boolean) => {
      const xs = steadyIds.filter((s) => pred(s.sentAt)).flatMap((s) => batches.get(s.id)?.latencyMs ?? []);
      return { batches: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: pct(xs, 100) };
    };
    const burstRate = burst / burstSeconds;
    console.log(
      JSON.stringify(
        {
          verifyPerSecondOneCore: Math.round(verifyPerSecond),
          burst: {
            events: burst,
            answeredSeconds: +((burstAnswered - burstStart) / 1000).toFixed(2),
            coveredSeconds: +burstSeconds.toFixed(2),
            eventsPerSecond: Math.round(burstRate),
            ratioToOneCoreVerify: +(burstRate / verifyPerSecond).toFixed(2),
            cpuSecondsByThread: burstCpu,
          },
          steadyLatencyMs: {
            first15sAfterBurst: lat((t) => t < AFTER_BURST_MS),
            whole: lat(() => true),
          },
          unconfirmedSteadyBatches: steadyIds.filter((s) => batches.get(s.id)?.latencyMs === undefined)
            .length,
          failedBatches: failures.length,
          ...(failures.length > 0 ? { failureStatuses: [...new Set(failures)] } : {}),
          rssMbByEventsAnswered: rssByEvents,
          rssMb: {
            afterBurst: memAfterBurst,
            atEnd: { up: rssMb(ep.pid), nats: rssMb(natsPid(ep.pid) ?? -1) },
          },
          ledgerStageMean: await stageMeans(ep.metrics),
        },
        null,
        2,
      ),
    );
  } finally {
    client.close();
    up.kill('SIGTERM');
    await new Promise((r) => (up.exitCode !== null ? r(null) : up.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

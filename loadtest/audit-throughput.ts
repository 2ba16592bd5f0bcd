// Measures `ingress-ledger audit` over a large log: entries/s, against the single-core Ed25519
// verify rate of this machine measured in the same run (issue #6 goal: audit >= 0.8 x cores x that
// rate, since every leaf carries a collector signature to check). It also measures the machine's
// real ceiling, `cores` threads verifying at once (parallelVerifyPerSecond), and the audit's ratio to
// that: where vCPUs share physical cores the two differ, and only the second is reachable. The
// audit verifies with libsodium where it loads (faster than node:crypto, same verdicts), so the
// parallel ceiling and one core's rate are also measured with it, to show how much of the ratio
// comes from the library and how much from spreading the work.
//
// Run: npx tsc -p . && node dist/loadtest/audit-throughput.js [entries, default 1000000] [workers]
// The log is built and served by a real gRPC server in its own process (loadtest/lib/audit-log-server,
// compact storage: one buffer of leaves, offsets and precomputed leaf hashes); the audit runs as the
// real executable in another child process, with its default worker count unless one is given.
import { execFile, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { selectCrypto } from '../packages/runtime/index.js';
import { getCrypto } from '../packages/tlog/index.js';
import { CLI_BIN } from '../services/cli/testing/run-cli.js';
import { parallelVerifyRate, verifyRate as singleThreadVerifyRate } from './lib/verify-rate.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

/** Entries in the log unless given on the command line. */
const DEFAULT_ENTRIES = 1_000_000;
/** How long the single-core verify rate is measured. */
const VERIFY_SECONDS = 3;

const entries = Number(process.argv[2] ?? DEFAULT_ENTRIES);
const workers = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
if (
  !Number.isInteger(entries) ||
  entries < 1 ||
  (workers !== undefined && (!Number.isInteger(workers) || workers < 1))
) {
  console.error('usage: audit-throughput [entries] [workers]');
  process.exit(2);
}

interface Served {
  address: string;
  policyFile: string;
  collectorVkey: string;
  avgLeafBytes: number;
}
const server = fork(new URL('./lib/audit-log-server.js', import.meta.url), [String(entries)], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const served = await new Promise<Served>((resolve, reject) => {
  server.once('message', (m) => resolve(m as Served));
  server.once('exit', (code) => reject(new Error(`log server exited with ${code}`)));
});
const avgLeaf = served.avgLeafBytes;

// The machine may be shared: measure the verify rate just before and just after the audit and
// compare against their mean, so a load change during the run skews both sides alike.
const cores = availableParallelism();
const verifyBefore = singleThreadVerifyRate(avgLeaf, VERIFY_SECONDS);
const providerBefore = singleThreadVerifyRate(avgLeaf, VERIFY_SECONDS, 'provider');
const parallelBefore = await parallelVerifyRate(cores, avgLeaf, VERIFY_SECONDS, 'provider');
const started = performance.now();
const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
  execFile(
    process.execPath,
    [
      CLI_BIN,
      'audit',
      '--grpc',
      served.address,
      '--policy',
      served.policyFile,
      '--collector-vkey',
      served.collectorVkey,
      ...(workers === undefined ? [] : ['--workers', String(workers)]),
      '--json',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
    (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : ((err.code as number | undefined) ?? null), stdout, stderr }),
  );
});
const wall = (performance.now() - started) / 1000;
// The server's own CPU time while serving (building excluded), so its share of the cores is visible.
const serverCpuSeconds = await new Promise<number>((resolve) => {
  server.once('message', (m) => resolve((m as { serveCpuSeconds: number }).serveCpuSeconds));
  server.send('close');
});
const verifyAfter = singleThreadVerifyRate(avgLeaf, VERIFY_SECONDS);
const providerAfter = singleThreadVerifyRate(avgLeaf, VERIFY_SECONDS, 'provider');
const parallelAfter = await parallelVerifyRate(cores, avgLeaf, VERIFY_SECONDS, 'provider');
const verifyRate = (verifyBefore + verifyAfter) / 2;
const providerRate = (providerBefore + providerAfter) / 2;
const parallelRate = (parallelBefore + parallelAfter) / 2;
if (result.code !== 0) {
  console.error(`audit failed (${result.code}): ${result.stderr}`);
  process.exit(1);
}
const out = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
  entriesPerSecond: number;
  seconds: number;
};
const goal = 0.8 * cores * verifyRate;
console.log(
  JSON.stringify(
    {
      entries,
      avgLeafBytes: avgLeaf,
      cores,
      workers: workers ?? 'default',
      singleCoreVerifyPerSecond: Math.round(verifyRate),
      singleCoreVerifyBeforeAfter: [Math.round(verifyBefore), Math.round(verifyAfter)],
      verifyProvider: getCrypto().name,
      providerSingleCoreVerifyPerSecond: Math.round(providerRate),
      auditEntriesPerSecond: out.entriesPerSecond,
      auditSeconds: out.seconds,
      serverCpuSecondsWhileServing: Number(serverCpuSeconds.toFixed(1)),
      wallSecondsWithStartup: Number(wall.toFixed(1)),
      parallelVerifyPerSecond: Math.round(parallelRate),
      parallelVerifyBeforeAfter: [Math.round(parallelBefore), Math.round(parallelAfter)],
      parallelOverCoresTimesProvider: Number((parallelRate / (cores * providerRate)).toFixed(2)),
      goalEntriesPerSecond: Math.round(goal),
      ratioToCoresTimesVerify: Number((out.entriesPerSecond / (cores * verifyRate)).toFixed(2)),
      ratioToCoresTimesProvider: Number((out.entriesPerSecond / (cores * providerRate)).toFixed(2)),
      ratioToParallelVerify: Number((out.entriesPerSecond / parallelRate).toFixed(2)),
    },
    null,
    2,
  ),
);

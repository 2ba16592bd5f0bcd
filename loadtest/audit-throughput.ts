// Measures `ingress-ledger audit` over a large log: entries/s, against the single-core Ed25519
// verify rate of this machine measured in the same run (issue #6 goal: audit >= 0.8 x cores x that
// rate, since every leaf carries a collector signature to check).
//
// Run: npx tsc -p . && node dist/loadtest/audit-throughput.js [entries, default 1000000] [workers]
// The log is served from memory by a real gRPC server in this process; the audit runs as the real
// executable in a child process, so both share the machine as they would on one host.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { generateKey, getCrypto } from '../packages/tlog/index.js';
import { fixtureLog } from '../services/cli/testing/fixtures.js';
import { startMemoryLedger } from '../services/cli/testing/memory-ledger.js';
import { sampleChange, signLeaf } from '../services/cli/testing/memory-log.js';
import { CLI_BIN } from '../services/cli/testing/run-cli.js';

/** Entries in the log unless given on the command line. */
const DEFAULT_ENTRIES = 1_000_000;
/** How long the single-core verify rate is measured. */
const VERIFY_SECONDS = 3;

const entries = Number(process.argv[2] ?? DEFAULT_ENTRIES);
const workers = Number(process.argv[3] ?? availableParallelism());
if (!Number.isInteger(entries) || entries < 1 || !Number.isInteger(workers) || workers < 1) {
  console.error('usage: audit-throughput [entries] [workers]');
  process.exit(2);
}

function singleCoreVerifyRate(leafBytes: number): number {
  const key = generateKey('collector/bench');
  const msg = new Uint8Array(leafBytes).fill(0x61);
  const sig = getCrypto().ed25519Sign(key.seed, msg);
  const c = getCrypto();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < VERIFY_SECONDS * 1000) {
    for (let i = 0; i < 256; i++) c.ed25519Verify(key.publicKey, msg, sig);
    n += 256;
  }
  return n / ((performance.now() - start) / 1000);
}

const f = fixtureLog(0);
const built = performance.now();
let bytes = 0;
for (let i = 0; i < entries; i++) {
  const leaf = signLeaf(sampleChange(i), f.collector);
  bytes += leaf.length;
  f.log.append(leaf);
  if (i % 100_000 === 99_999) process.stderr.write(`built ${i + 1} entries\n`);
}
const avgLeaf = Math.round(bytes / entries);
process.stderr.write(
  `built ${entries} entries (avg leaf ${avgLeaf} bytes) in ${((performance.now() - built) / 1000).toFixed(1)} s\n`,
);

// The machine may be shared: measure the verify rate just before and just after the audit and
// compare against their mean, so a load change during the run skews both sides alike.
const verifyBefore = singleCoreVerifyRate(avgLeaf);
const ledger = await startMemoryLedger(f.log);
const started = performance.now();
const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
  execFile(
    process.execPath,
    [
      CLI_BIN,
      'audit',
      '--grpc',
      ledger.address,
      '--policy',
      f.policyFile,
      '--collector-vkey',
      f.collectorVkey,
      '--workers',
      String(workers),
      '--json',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
    (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : ((err.code as number | undefined) ?? null), stdout, stderr }),
  );
});
const wall = (performance.now() - started) / 1000;
await ledger.close();
const verifyAfter = singleCoreVerifyRate(avgLeaf);
const verifyRate = (verifyBefore + verifyAfter) / 2;
if (result.code !== 0) {
  console.error(`audit failed (${result.code}): ${result.stderr}`);
  process.exit(1);
}
const out = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
  entriesPerSecond: number;
  seconds: number;
};
const cores = availableParallelism();
const goal = 0.8 * cores * verifyRate;
console.log(
  JSON.stringify(
    {
      entries,
      avgLeafBytes: avgLeaf,
      cores,
      workers,
      singleCoreVerifyPerSecond: Math.round(verifyRate),
      singleCoreVerifyBeforeAfter: [Math.round(verifyBefore), Math.round(verifyAfter)],
      auditEntriesPerSecond: out.entriesPerSecond,
      auditSeconds: out.seconds,
      wallSecondsWithStartup: Number(wall.toFixed(1)),
      goalEntriesPerSecond: Math.round(goal),
      ratioToCoresTimesVerify: Number((out.entriesPerSecond / (cores * verifyRate)).toFixed(2)),
    },
    null,
    2,
  ),
);

// Child process of loadtest/audit-throughput: builds a log of signed sample changes in compact
// storage and serves it over gRPC, so the server's memory and CPU are its own process's (visible
// and bounded) rather than the benchmark's. Reports { address, policyFile, collectorVkey,
// avgLeafBytes } over IPC once serving; on 'close' reports its CPU seconds spent serving and exits.
import { performance } from 'node:perf_hooks';
import { CompactLog, startCompactLedger } from '../../services/cli/testing/compact-ledger.js';
import { fixtureLog } from '../../services/cli/testing/fixtures.js';
import { sampleChange, signLeaf } from '../../services/cli/testing/memory-log.js';
import { encodeEntries } from '../../services/ledger/get-entries-response-fast.js';

const entries = Number(process.argv[2]);
const f = fixtureLog(0);
const log = new CompactLog(f.log.origin, f.logKey, f.witnesses);
const built = performance.now();
for (let i = 0; i < entries; i++) {
  log.append(signLeaf(sampleChange(i), f.collector));
  if (i % 100_000 === 99_999) process.stderr.write(`built ${i + 1} entries\n`);
}
const avgLeafBytes = Math.round(log.bytes / entries);
process.stderr.write(
  `built ${entries} entries (avg leaf ${avgLeafBytes} bytes, ${(log.bytes / 2 ** 20).toFixed(0)} MiB in one buffer) in ${((performance.now() - built) / 1000).toFixed(1)} s\n`,
);
// Answers are encoded the way the real ledger's GetEntries encodes them.
const ledger = await startCompactLedger(log, encodeEntries);
const cpuAtServe = process.cpuUsage();
process.send?.({
  address: ledger.address,
  policyFile: f.policyFile,
  collectorVkey: f.collectorVkey,
  avgLeafBytes,
});
const stop = async () => {
  await ledger.close();
  process.exit(0);
};
process.on('message', (m) => {
  if (m !== 'close') return;
  const cpu = process.cpuUsage(cpuAtServe);
  process.send?.({ serveCpuSeconds: (cpu.user + cpu.system) / 1e6 }, () => void stop());
});
process.on('disconnect', () => void stop());

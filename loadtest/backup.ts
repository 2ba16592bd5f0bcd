// How long `ingress-ledger backup` takes to copy and check a ledger database, and its peak memory.
//
//   npx tsc -p . && node dist/loadtest/backup.js [entries=1000000]
//
// Builds a store of `entries` ~1.5 KB leaves (loadtest/lib/build-store.ts), then runs the real
// command as a child process and reports its wall time and peak RSS (from /proc, polled).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LEDGER_DB_FILE, selectCrypto } from '../packages/runtime/index.js';
import { setupKeys } from '../test/ledger-fixtures.js';
import { buildStore } from './lib/build-store.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

const entries = Number(process.argv[2] ?? 1_000_000);
const keys = setupKeys('bench.local/backup', ['c1']);
const dataDir = join(keys.dir, 'data');
const built = buildStore(dataDir, entries, 1500);
const dbBytes = statSync(join(dataDir, LEDGER_DB_FILE)).size;
process.stderr.write(
  `built ${entries} entries (${Math.round(dbBytes / 1e6)} MB) in ${built.seconds.toFixed(1)} s\n`,
);

const out = join(keys.dir, 'backup.sqlite');
const bin = new URL('../../bin/ingress-ledger.js', import.meta.url).pathname;
const start = performance.now();
const child = spawn(process.execPath, [bin, 'backup', '--data-dir', dataDir, '--out', out, '--json'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let stdout = '';
child.stdout.on('data', (d: Buffer) => {
  stdout += d.toString();
});
let peakRssMB = 0;
const poll = setInterval(() => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    peakRssMB = Math.max(peakRssMB, Math.round(Number(m?.[1] ?? 0) / 1024));
  } catch {
    // The process has exited.
  }
}, 20);
const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
clearInterval(poll);
const seconds = (performance.now() - start) / 1000;
rmSync(keys.dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ entries, databaseBytes: dbBytes, exitCode: code, seconds: Number(seconds.toFixed(2)), peakRssMB, result: stdout.trim() })}\n`,
);

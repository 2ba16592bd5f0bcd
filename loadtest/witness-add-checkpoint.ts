// Measures a witness's add-checkpoint rate and latency over keep-alive HTTP: the witness runs as
// its own process (dist/services/witness/main.js) and this process drives it with checkpoints of
// several test logs, each log's requests in order (old = the size last cosigned), at a steady rate
// and then unpaced.
// Run: npx tsc -p . && node dist/loadtest/witness-add-checkpoint.js [rate/s, default 100] [seconds, default 10] [logs, default 8]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectCrypto, writeKeyFiles } from '../packages/runtime/index.js';
import { formatAddCheckpoint, generateKey } from '../packages/tlog/index.js';
import { MemoryLog } from '../packages/tlog/testing.js';
import { formatResult, runLoad } from './lib/load.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

/** Requests per second of the paced run unless given. */
const DEFAULT_RATE = 100;
/** Seconds each run measures unless given. */
const DEFAULT_SECONDS = 10;
/** Logs (origins) driven in parallel unless given; each has at most one request in flight. */
const DEFAULT_LOGS = 8;

const rate = Number(process.argv[2] ?? DEFAULT_RATE);
const seconds = Number(process.argv[3] ?? DEFAULT_SECONDS);
const logCount = Number(process.argv[4] ?? DEFAULT_LOGS);
if (!(rate > 0) || !(seconds > 0) || !Number.isInteger(logCount) || logCount < 1) {
  console.error('usage: witness-add-checkpoint [rate/s] [seconds] [logs]');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'witness-bench-'));
const key = generateKey('witness.example/bench');
writeKeyFiles(join(dir, 'witness'), key.skey, key.vkey);
const logs = Array.from({ length: logCount }, (_, i) => ({
  log: new MemoryLog({ logKey: generateKey(`example.com/bench-${i}`) }),
  old: 0n,
}));

function startWitness(): Promise<{ child: ChildProcess; url: string }> {
  const main = new URL('../services/witness/main.js', import.meta.url).pathname;
  const args = [
    '--data-dir',
    join(dir, 'state'),
    '--listen',
    '127.0.0.1:0',
    '--key',
    join(dir, 'witness.key'),
  ];
  for (const { log } of logs) args.push('--log', log.key.vkey);
  const child = spawn(process.execPath, [main, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'error' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^witness \S+ at (\S+)\n/.exec(out);
      if (m !== null) resolve({ child, url: m[1] ?? '' });
    });
    child.once('exit', (code) => reject(new Error(`witness exited ${code}`)));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: logCount });

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/add-checkpoint`, { method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const { child, url } = await startWitness();
const free = [...logs];
// Each call grows one idle log by one entry and asks for its next cosignature.
const call = async () => {
  const slot = free.shift();
  if (slot === undefined) throw Object.assign(new Error('no idle log'), { code: 'busy' });
  try {
    slot.log.append(`entry ${slot.log.size}`);
    const size = slot.log.size;
    const status = await post(
      url,
      formatAddCheckpoint(slot.old, slot.log.consistencyProof(slot.old), slot.log.checkpoint()),
    );
    if (status !== 200) throw Object.assign(new Error(`HTTP ${status}`), { code: status });
    slot.old = size;
  } finally {
    free.push(slot);
  }
};

try {
  const paced = await runLoad({ call, concurrency: logCount, durationMs: seconds * 1000, rate });
  console.log(formatResult(`add-checkpoint at ${rate}/s, ${logCount} logs`, paced));
  const unpaced = await runLoad({ call, concurrency: logCount, durationMs: seconds * 1000 });
  console.log(formatResult(`add-checkpoint unpaced, ${logCount} logs`, unpaced));
} finally {
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

// Measures the ledger's side of witnessing: time from signing a checkpoint to holding it cosigned
// by a local witness (createWitnessCosigner, quorum of that one witness), i.e. the delay witnesses
// add before a checkpoint is published. The witness runs as its own process, as in `up`.
// Run: npx tsc -p . && node dist/loadtest/witness-cosign-latency.js [checkpoints/s, default 20] [seconds, default 10]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, selectCrypto, writeKeyFiles } from '../packages/runtime/index.js';
import { cosignatureVkey, generateKey, parsePolicy } from '../packages/tlog/index.js';
import { MemoryLog } from '../packages/tlog/testing.js';
import { createWitnessCosigner } from '../services/ledger/witness-cosigner.js';
import { formatResult, runLoad } from './lib/load.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

/** Checkpoints signed per second unless given (the ledger's default interval allows 4/s). */
const DEFAULT_RATE = 20;
/** Seconds measured unless given. */
const DEFAULT_SECONDS = 10;
/** The ledger's goal for this delay, at p99 on loopback. */
const GOAL_P99_MS = 50;

const rate = Number(process.argv[2] ?? DEFAULT_RATE);
const seconds = Number(process.argv[3] ?? DEFAULT_SECONDS);
if (!(rate > 0) || !(seconds > 0)) {
  console.error('usage: witness-cosign-latency [checkpoints/s] [seconds]');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'witness-latency-'));
const witnessKey = generateKey('witness.example/latency');
writeKeyFiles(join(dir, 'witness'), witnessKey.skey, witnessKey.vkey);
const log = new MemoryLog({ logKey: generateKey('example.com/latency-log') });

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
  const child = spawn(process.execPath, [main, ...args, '--log', log.key.vkey], {
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

const { child, url } = await startWitness();
const policy = parsePolicy(
  `log ${log.key.vkey}\nwitness local ${cosignatureVkey(witnessKey)} ${url}\nquorum local\n`,
);
const cosigner = createWitnessCosigner({ policy, logger: createLogger('bench', 'error') });

// One call: the log grows by a batch, signs its checkpoint, and waits for the quorum.
const call = async () => {
  log.append(`entry ${log.size}`);
  const note = log.checkpoint();
  const cosigned = await cosigner.cosign(note, log.size, (from) => log.consistencyProof(from));
  if (cosigned === undefined) throw Object.assign(new Error('quorum missed'), { code: 'missed' });
};

try {
  const r = await runLoad({ call, concurrency: 1, durationMs: seconds * 1000, rate });
  console.log(formatResult(`sign -> cosigned by a local witness at ${rate} checkpoints/s`, r));
  console.log(`goal p99 <= ${GOAL_P99_MS} ms: ${r.p99Ms <= GOAL_P99_MS ? 'met' : 'NOT met'}`);
} finally {
  await cosigner.close?.();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

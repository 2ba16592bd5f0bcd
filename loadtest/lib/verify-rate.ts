// The machine's Ed25519 verify ceiling for the audit benchmark: one thread verifying in a loop, and
// `threads` worker threads doing the same at once. On a VM whose vCPUs share physical cores (or are
// throttled) the parallel rate is well below threads x the single-thread rate, and "cores x
// single-core rate" overstates what any program can reach there; the parallel rate is the real
// ceiling. Either node:crypto with a KeyObject key (the baseline the goals name) or the provider the
// audit's workers verify with (libsodium where it loads; see packages/runtime/crypto-sodium.ts).
import { createPublicKey, verify } from 'node:crypto';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { selectCrypto } from '../../packages/runtime/index.js';
import { generateKey, getCrypto } from '../../packages/tlog/index.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

/** 'node:crypto' is the goals' baseline; 'provider' is what getCrypto() verifies with. */
export type VerifyLibrary = 'node:crypto' | 'provider';

interface Job {
  verifyRateWorker: true;
  leafBytes: number;
  seconds: number;
  library: VerifyLibrary;
}

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Verifications per second of one thread, for `seconds`, on messages of `leafBytes`. */
export function verifyRate(
  leafBytes: number,
  seconds: number,
  library: VerifyLibrary = 'node:crypto',
): number {
  const key = generateKey('collector/bench');
  const msg = new Uint8Array(leafBytes).fill(0x61);
  const sig = getCrypto().ed25519Sign(key.seed, msg);
  const pub = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, key.publicKey]),
    format: 'der',
    type: 'spki',
  });
  const crypto = getCrypto();
  const once =
    library === 'node:crypto'
      ? () => verify(null, msg, pub, sig)
      : () => crypto.ed25519Verify(key.publicKey, msg, sig);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    for (let i = 0; i < 64; i++) once();
    n += 64;
  }
  return n / ((performance.now() - start) / 1000);
}

/** The summed rate of `threads` worker threads verifying at the same time. */
export async function parallelVerifyRate(
  threads: number,
  leafBytes: number,
  seconds: number,
  library: VerifyLibrary = 'node:crypto',
): Promise<number> {
  const job: Job = { verifyRateWorker: true, leafBytes, seconds, library };
  const rates = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: job });
          w.once('message', (rate: number) => {
            resolve(rate);
            void w.terminate();
          });
          w.once('error', reject);
        }),
    ),
  );
  return rates.reduce((a, b) => a + b, 0);
}

if (!isMainThread && (workerData as Partial<Job> | undefined)?.verifyRateWorker === true) {
  const job = workerData as Job;
  parentPort?.postMessage(verifyRate(job.leafBytes, job.seconds, job.library));
}

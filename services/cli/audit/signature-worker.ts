// Worker thread of the signature pool: hashes and checks a batch of leaves. Ed25519 verification is
// the audit's dominant cost, so it runs on every core while the main thread fetches and builds the tree.
import { parentPort, workerData } from 'node:worker_threads';
import { leafHash, parseVkey } from '../../../packages/tlog/index.js';
import { VerificationError } from '../verification/errors.js';
import { checkLeaf, checkLeafSignature } from '../verification/leaf-check.js';
import type { BatchRequest, BatchResult, LeafFailure, WorkerInit } from './signature-messages.js';

const init = workerData as WorkerInit;
const keys = init.collectorVkeys.map((v) => parseVkey(v));

parentPort?.on('message', (req: BatchRequest) => {
  const data = new Uint8Array(req.data);
  const count = req.offsets.length - 1;
  const hashes = new Uint8Array(count * 32);
  const failures: LeafFailure[] = [];
  for (let i = 0; i < count; i++) {
    const leaf = data.subarray(req.offsets[i] ?? 0, req.offsets[i + 1] ?? 0);
    const index = req.start + BigInt(i);
    hashes.set(leafHash(leaf), i * 32);
    try {
      if (keys.length === 0 || init.strict) checkLeaf(leaf, keys, index);
      else checkLeafSignature(leaf, keys, index);
    } catch (err) {
      failures.push(
        err instanceof VerificationError
          ? { index, code: err.code, message: err.message }
          : { index, code: 'LEAF', message: `entry ${index}: ${(err as Error).message}` },
      );
    }
  }
  const result: BatchResult = { id: req.id, hashes: hashes.buffer, failures };
  parentPort?.postMessage(result, [hashes.buffer]);
});

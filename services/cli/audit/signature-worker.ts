// Worker thread of the signature pool: hashes and checks a batch of leaves, and compares each hash
// with the one the server claimed (the main thread only builds the tree from the returned hashes). Ed25519 verification is
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
  const claimed = Buffer.from(req.claimed);
  const malformed = new Set(req.malformed);
  const count = req.offsets.length - 1;
  const hashes = new Uint8Array(count * 32);
  const failures: LeafFailure[] = [];
  for (let i = 0; i < count; i++) {
    const leaf = data.subarray(req.offsets[i] ?? 0, req.offsets[i + 1] ?? 0);
    const index = req.start + BigInt(i);
    const h = leafHash(leaf);
    hashes.set(h, i * 32);
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
    if (malformed.has(i) || claimed.compare(h, 0, 32, i * 32, i * 32 + 32) !== 0) {
      failures.push({
        index,
        code: 'ENTRY',
        message: `entry ${index}: the server's leaf hash is not the hash of its leaf`,
      });
    }
  }
  const result: BatchResult = { id: req.id, hashes: hashes.buffer, failures };
  parentPort?.postMessage(result, [hashes.buffer]);
});

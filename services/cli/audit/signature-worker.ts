// Worker thread of the signature pool: hashes and checks the leaves of one GetEntries answer, and
// compares each hash with the one the server claimed (the main thread only builds the tree from the
// returned hashes). Ed25519 verification is the audit's dominant cost, so it runs on every core
// while the main thread fetches and builds the tree.
import { parentPort, workerData } from 'node:worker_threads';
import { MAX_LEAF_BYTES } from '../../../packages/change/index.js';
import { selectCrypto } from '../../../packages/runtime/index.js';
import { leafHash, parseVkey } from '../../../packages/tlog/index.js';
import { VerificationError } from '../verification/errors.js';
import { checkLeaf, checkLeafSignature } from '../verification/leaf-check.js';
import { leafPassesFast } from '../verification/leaf-check-fast.js';
import type { BatchRequest, BatchResult, LeafFailure, WorkerInit } from './signature-messages.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

const init = workerData as WorkerInit;
const keys = init.collectorVkeys.map((v) => parseVkey(v));
const HASH_SIZE = 32;
/** The default check: a collector signature, honest leaves passing on the fast path. */
const signatureOnly = keys.length > 0 && !init.strict;

parentPort?.on('message', (req: BatchRequest) => {
  const data = new Uint8Array(req.data);
  const buf = Buffer.from(req.data);
  const spans = req.spans;
  const count = spans.length / 4;
  const hashes = new Uint8Array(count * HASH_SIZE);
  const failures: LeafFailure[] = [];
  for (let i = 0; i < count; i++) {
    const leaf = data.subarray(spans[4 * i] ?? 0, spans[4 * i + 1] ?? 0);
    const claimedAt = spans[4 * i + 2] ?? 0;
    const claimedEnd = spans[4 * i + 3] ?? 0;
    const h = leafHash(leaf);
    hashes.set(h, i * HASH_SIZE);
    const claimed =
      claimedEnd - claimedAt === HASH_SIZE &&
      buf.compare(hashes, i * HASH_SIZE, (i + 1) * HASH_SIZE, claimedAt, claimedEnd) === 0;
    // The index is only needed to name a failure: no bigint per honest leaf.
    if (signatureOnly && claimed && leafPassesFast(leaf, keys, MAX_LEAF_BYTES)) continue;
    const index = req.start + BigInt(i);
    try {
      if (signatureOnly) checkLeafSignature(leaf, keys, index);
      else checkLeaf(leaf, keys, index);
    } catch (err) {
      failures.push(
        err instanceof VerificationError
          ? { index, code: err.code, message: err.message }
          : { index, code: 'LEAF', message: `entry ${index}: ${(err as Error).message}` },
      );
    }
    if (!claimed) {
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

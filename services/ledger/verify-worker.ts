// A worker thread of the verify pool: opens leaves (signature, canonical JSON, schema) off the
// main thread. Pure: keys arrive by message, results go back in the order the leaves came.
import { parentPort } from 'node:worker_threads';
import { ChangeError, openLeaf } from '../../packages/change/index.js';
import { leafHash, type PublicKey, parseVkey } from '../../packages/tlog/index.js';
import type { VerifyRequest, VerifyResult } from './verify-pool.js';

let keys: PublicKey[] = [];
let keysVersion = -1;

function check(leaf: Uint8Array): VerifyResult {
  try {
    const { change } = openLeaf(leaf, keys);
    return { ok: true, change, leafHash: leafHash(leaf) };
  } catch (err) {
    if (err instanceof ChangeError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'BAD_NOTE', message: 'leaf could not be opened' };
  }
}

parentPort?.on('message', (req: VerifyRequest) => {
  if (req.keysVersion !== keysVersion) {
    keys = req.vkeys.map((v) => parseVkey(v));
    keysVersion = req.keysVersion;
  }
  parentPort?.postMessage({ id: req.id, results: req.leaves.map(check) });
});

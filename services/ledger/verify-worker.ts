// A worker thread of the verify pool: opens leaves (signature, canonical JSON, schema) off the
// main thread. Pure: keys arrive by message, results go back in the order the leaves came.
import { parentPort } from 'node:worker_threads';
import { bodyRefs, ChangeError, changeIdentity, openLeaf } from '../../packages/change/index.js';
import { selectCrypto } from '../../packages/runtime/index.js';
import { HASH_SIZE, leafHash, type PublicKey, parseVkey } from '../../packages/tlog/index.js';
import type { VerifyRequest, VerifyResponse } from './verify-pool.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

let keys: PublicKey[] = [];
let keysVersion = -1;

function open(req: VerifyRequest): VerifyResponse {
  const n = req.ends.length;
  const hashes = new Uint8Array(n * HASH_SIZE);
  const res: VerifyResponse = { id: req.id, hashes: hashes.buffer, identities: [], refused: [], refs: [] };
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = req.ends[i] as number;
    const leaf = new Uint8Array(req.data, start, end - start);
    start = end;
    try {
      const { change } = openLeaf(leaf, keys);
      hashes.set(leafHash(leaf), i * HASH_SIZE);
      res.identities.push(changeIdentity(change));
      const refs = bodyRefs(change);
      if (refs.length > 0) res.refs.push({ at: i, refs });
    } catch (err) {
      res.identities.push('');
      if (err instanceof ChangeError) res.refused.push({ at: i, code: err.code, message: err.message });
      else res.refused.push({ at: i, code: 'BAD_NOTE', message: 'leaf could not be opened' });
    }
  }
  return res;
}

parentPort?.on('message', (req: VerifyRequest) => {
  if (req.keysVersion !== keysVersion) {
    keys = req.vkeys.map((v) => parseVkey(v));
    keysVersion = req.keysVersion;
  }
  const res = open(req);
  parentPort?.postMessage(res, [res.hashes]);
});

// Out-of-leaf bodies (DESIGN 3.2): a leaf names them by digest; the collector publishes each on
// INGRESS_BODIES before the leaf. The ledger fetches them by subject and trusts only the digest.
import type { JetStreamManager } from '@nats-io/jetstream';
import { type BodyRef, ChangeError } from '../../packages/change/index.js';
import { BODIES_STREAM, bodySubject } from '../../packages/runtime/index.js';
import { getCrypto } from '../../packages/tlog/index.js';

/** Attempts to fetch a body before the leaf is rejected BODY_MISSING. */
export const BODY_FETCH_ATTEMPTS = 3;
/** Pause between attempts: the collector publishes the body first, so a miss is rarely a race. */
export const BODY_FETCH_RETRY_MS = 200;

const HEX_SHA256_RE = /^[0-9a-f]{64}$/;

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Fetches and checks every body a change references (`bodyRefs`); throws ChangeError('BODY_MISSING'). */
export async function fetchBodies(
  jsm: JetStreamManager,
  refs: readonly BodyRef[],
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const ref of refs) {
    if (!HEX_SHA256_RE.test(ref.sha256))
      throw new ChangeError('BODY_MISSING', 'body digest is not hex sha256');
    let data: Uint8Array | undefined;
    for (let attempt = 0; attempt < BODY_FETCH_ATTEMPTS && data === undefined; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, BODY_FETCH_RETRY_MS));
      const msg = await jsm.direct
        .getMessage(BODIES_STREAM, { last_by_subj: bodySubject(ref.sha256) })
        .catch(() => null);
      if (msg !== null) data = msg.data;
    }
    if (data === undefined) throw new ChangeError('BODY_MISSING', `body ${ref.sha256} not found`);
    if (data.length !== ref.size || hex(getCrypto().sha256(data)) !== ref.sha256) {
      throw new ChangeError('BODY_MISSING', `body ${ref.sha256} does not match its digest`);
    }
    out.set(ref.sha256, data);
  }
  return out;
}

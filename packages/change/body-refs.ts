// Body references (DESIGN 3.2): a request or response moved out of a leaf that would pass
// MAX_LEAF_BYTES is replaced by `{"sha256": "<hex>", "size": <bytes>}`, the digest and size of its
// canonical JSON. The collector makes them, the ledger fetches what they name before it admits a
// leaf and serves the bodies beside the entry, the risk rules skip them, and auditors resolve them:
// all through this one definition.
import type { Change } from './change.js';

/** A body moved out of the leaf: digest (lower-case hex SHA-256) and size of its canonical JSON. */
export interface BodyRef {
  sha256: string;
  size: number;
}

/** True for exactly `{sha256: string, size: number}`, the shape makeLeaf writes. */
export function isBodyRef(v: unknown): v is BodyRef {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  if (keys.length !== 2 || !('sha256' in v) || !('size' in v)) return false;
  const { sha256, size } = v as { sha256: unknown; size: unknown };
  return typeof sha256 === 'string' && typeof size === 'number';
}

/** The body references of a change (request, then response), if any. */
export function bodyRefs(change: Pick<Change, 'request' | 'response'>): BodyRef[] {
  const out: BodyRef[] = [];
  if (isBodyRef(change.request)) out.push({ sha256: change.request.sha256, size: change.request.size });
  if (isBodyRef(change.response)) out.push({ sha256: change.response.sha256, size: change.response.size });
  return out;
}

const SHA256_KEY = new TextEncoder().encode('"sha256"');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body references of a stored leaf, without verifying it (the ledger admitted it already). A
 * leaf whose first line (the change's canonical JSON) lacks the key "sha256" cannot hold one, so
 * it is not parsed; a leaf that does not parse has none. Reference: bodyRefs of the opened change.
 */
export function bodyRefsOfLeaf(leaf: Uint8Array): BodyRef[] {
  const end = leaf.indexOf(0x0a);
  const line = leaf.subarray(0, end < 0 ? leaf.length : end);
  if (Buffer.from(line.buffer, line.byteOffset, line.byteLength).indexOf(SHA256_KEY) < 0) return [];
  try {
    const change = JSON.parse(utf8.decode(line)) as unknown;
    if (typeof change !== 'object' || change === null) return [];
    return bodyRefs(change as Pick<Change, 'request' | 'response'>);
  } catch {
    return [];
  }
}

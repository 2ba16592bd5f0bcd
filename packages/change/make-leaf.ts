// A change as a signed leaf (DESIGN 3.2): one line of RFC 8785 canonical JSON, signed as a C2SP note
// by the collector key `collector/<cluster>`. Bodies that would push the leaf past MAX_LEAF_BYTES
// move out of it, the larger first, replaced by {sha256, size} of their canonical JSON bytes.
import { getCrypto, type PrivateKey, signNote } from '../tlog/index.js';
import { type BodyRef, isBodyRef } from './body-refs.js';
import { canonicalJson } from './canonical.js';
import { type Change, MAX_LEAF_BYTES } from './change.js';
import { ChangeError } from './errors.js';

export interface OutOfLeafBody {
  /** Lower-case hex SHA-256 of data. */
  sha256: string;
  /** The body's canonical JSON bytes. */
  data: Uint8Array;
}

/** The key name a collector for this cluster signs with. */
export const collectorKeyName = (cluster: string) => `collector/${cluster}`;

const utf8 = new TextEncoder();
// A note signature line is "— <name> <base64(4-byte key id || 64-byte signature)>\n".
const SIG_BASE64_CHARS = 92;
const EM_DASH_LINE_PREFIX_BYTES = utf8.encode('— ').length;

function noteBytes(text: string, keyName: string): number {
  // text, the blank line, then one signature line.
  const sigLine = EM_DASH_LINE_PREFIX_BYTES + Buffer.byteLength(keyName) + 1 + SIG_BASE64_CHARS + 1;
  return Buffer.byteLength(text) + 1 + sigLine;
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Signs a change as a note with the collector key (named `collector/<cluster>`). When the leaf would
 * exceed MAX_LEAF_BYTES, moves the request/response body out (the larger first) as DESIGN 3.2 says and
 * returns the moved bodies. Throws ChangeError('TOO_LARGE') if it still does not fit.
 */
export function makeLeaf(change: Change, key: PrivateKey): { leaf: Uint8Array; bodies: OutOfLeafBody[] } {
  if (key.name !== collectorKeyName(change.cluster)) {
    throw new ChangeError('CLUSTER_MISMATCH', `key ${key.name} does not sign for cluster ${change.cluster}`);
  }
  let current: Change = change;
  const bodies: OutOfLeafBody[] = [];
  let text = `${canonicalJson(current)}\n`;
  if (noteBytes(text, key.name) > MAX_LEAF_BYTES) {
    const candidates = (['request', 'response'] as const)
      .filter((field) => current[field] !== null && !isBodyRef(current[field]))
      .map((field) => ({ field, data: utf8.encode(canonicalJson(current[field])) }))
      .sort((a, b) => b.data.length - a.data.length);
    for (const { field, data } of candidates) {
      const sha256 = toHex(getCrypto().sha256(data));
      bodies.push({ sha256, data });
      current = { ...current, [field]: { sha256, size: data.length } satisfies BodyRef };
      text = `${canonicalJson(current)}\n`;
      if (noteBytes(text, key.name) <= MAX_LEAF_BYTES) break;
    }
  }
  if (noteBytes(text, key.name) > MAX_LEAF_BYTES) {
    throw new ChangeError('TOO_LARGE', `change ${change.auditID} does not fit a leaf without its bodies`);
  }
  const leaf = utf8.encode(signNote(text, key));
  if (leaf.length > MAX_LEAF_BYTES) {
    throw new ChangeError('TOO_LARGE', `leaf of change ${change.auditID} is ${leaf.length} bytes`);
  }
  return { leaf, bodies };
}

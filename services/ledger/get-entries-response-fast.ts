// GetEntriesResponse in protobuf wire format, byte for byte what protobuf-es's toBinary writes
// (fields in order, empty values left out), written straight from the stored leaves: a GetEntries
// answer of a thousand ~1 KB leaves is one allocation and a memcpy per leaf instead of a message
// tree that protobuf-es walks. Named after that reference and checked against it in get-entries-response-fast.test.ts.

import { GetEntriesResponseSchema } from '../../packages/proto/index.js';
import { type EncodedAnswer, encodedAnswer } from './encoded-answer.js';
import { varintLength, writeVarint } from './wire.js';

/** What one entry of the answer holds; index beyond 2^53 is never served (see encodeEntries). */
export interface EntryFields {
  index: bigint;
  leaf: Uint8Array;
  leafHash: Uint8Array;
  bodies: { sha256: string; data: Uint8Array }[];
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const encoder = new TextEncoder();

/** A length-delimited field's size on the wire: tag, length, payload (0 for an empty one). */
const lenField = (n: number) => (n === 0 ? 0 : 1 + varintLength(n) + n);

/**
 * The encoded GetEntriesResponse, or undefined when an index is beyond 2^53 (the caller then lets
 * protobuf-es encode it; a log never gets there).
 */
export function encodeEntries(
  entries: readonly EntryFields[],
): EncodedAnswer<typeof GetEntriesResponseSchema> | undefined {
  const n = entries.length;
  // Per entry: its encoded size, then each body's sha256 bytes and encoded size.
  const sizes = new Array<number>(n);
  const shas: Uint8Array[][] = new Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i] as EntryFields;
    if (e.index > MAX_SAFE) return undefined;
    const index = Number(e.index);
    let size =
      (index === 0 ? 0 : 1 + varintLength(index)) + lenField(e.leaf.length) + lenField(e.leafHash.length);
    const bodyShas: Uint8Array[] = [];
    for (const b of e.bodies) {
      const sha = encoder.encode(b.sha256);
      bodyShas.push(sha);
      const body = lenField(sha.length) + lenField(b.data.length);
      size += 1 + varintLength(body) + body;
    }
    shas[i] = bodyShas;
    sizes[i] = size;
    total += 1 + varintLength(size) + size;
  }
  const out = new Uint8Array(total);
  let at = 0;
  const bytesField = (tag: number, v: Uint8Array) => {
    if (v.length === 0) return;
    out[at++] = tag;
    at = writeVarint(out, at, v.length);
    out.set(v, at);
    at += v.length;
  };
  for (let i = 0; i < n; i++) {
    const e = entries[i] as EntryFields;
    out[at++] = 0x0a; // GetEntriesResponse.entries (1), length-delimited
    at = writeVarint(out, at, sizes[i] as number);
    const index = Number(e.index);
    if (index !== 0) {
      out[at++] = 0x08; // Entry.index (1), varint
      at = writeVarint(out, at, index);
    }
    bytesField(0x12, e.leaf); // Entry.leaf (2)
    bytesField(0x1a, e.leafHash); // Entry.leaf_hash (3)
    e.bodies.forEach((b, k) => {
      const sha = (shas[i] as Uint8Array[])[k] as Uint8Array;
      out[at++] = 0x22; // Entry.bodies (4)
      at = writeVarint(out, at, lenField(sha.length) + lenField(b.data.length));
      bytesField(0x0a, sha); // Body.sha256 (1)
      bytesField(0x12, b.data); // Body.data (2)
    });
  }
  return encodedAnswer(GetEntriesResponseSchema, out);
}

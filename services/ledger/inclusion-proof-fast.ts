// The proof RPC's answer written without protobuf-es: named after, and tested against (beside it,
// inclusion-proof-fast.test.ts), the reference it must agree with, protobuf-es's toBinary of
// InclusionProof.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { InclusionProofSchema } from '../../packages/proto/index.js';
import { HASH_SIZE } from '../../packages/tlog/index.js';
import { type EncodedAnswer, encodedAnswer } from './encoded-answer.js';
import { varintLength, writeVarint } from './wire.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * InclusionProof in protobuf wire format, byte for byte what toBinary writes (fields in order,
 * zero scalars left out), without building a message: the proof RPC's hot path. Falls back to
 * protobuf-es for values beyond 2^53 or hashes of another length (never served by the store).
 */
export function encodeInclusionProof(
  index: bigint,
  treeSize: bigint,
  hashes: readonly Uint8Array[],
): EncodedAnswer<typeof InclusionProofSchema> | MessageInitShape<typeof InclusionProofSchema> {
  if (index > MAX_SAFE || treeSize > MAX_SAFE || hashes.some((h) => h.length !== HASH_SIZE))
    return { index, treeSize, hashes: [...hashes] };
  const i = Number(index);
  const s = Number(treeSize);
  const len =
    (i === 0 ? 0 : 1 + varintLength(i)) +
    (s === 0 ? 0 : 1 + varintLength(s)) +
    hashes.length * (2 + HASH_SIZE);
  const out = new Uint8Array(len);
  let at = 0;
  if (i !== 0) {
    out[at++] = 0x08; // field 1, varint
    at = writeVarint(out, at, i);
  }
  if (s !== 0) {
    out[at++] = 0x10; // field 2, varint
    at = writeVarint(out, at, s);
  }
  for (const h of hashes) {
    out[at++] = 0x1a; // field 3, length-delimited
    out[at++] = HASH_SIZE;
    out.set(h, at);
    at += HASH_SIZE;
  }
  return encodedAnswer(InclusionProofSchema, out);
}

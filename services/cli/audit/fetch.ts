// Fetching entries for an audit: complete ranges despite short answers, and the checks that need
// nothing but the answer itself.
import { hash } from 'node:crypto';
import { VerificationError } from '../verification/errors.js';
import { type EntriesView, indexAt, indexIs } from './get-entries-response-fast.js';
import type { LogSource } from './log-source.js';

/** One answer's entries and the index of its first. */
export interface FetchedPart {
  start: bigint;
  entries: EntriesView;
}

/**
 * Fetches [start, end) completely, following short answers; checks the indexes are the ones asked.
 * Indexes are compared as Numbers: a log this auditor rebuilds in memory is far below 2^53 leaves.
 */
export async function fetchRange(source: LogSource, start: bigint, end: bigint): Promise<FetchedPart[]> {
  const out: FetchedPart[] = [];
  let next = start;
  while (next < end) {
    const got = await source.entries(next, end);
    if (got.count === 0) {
      throw new VerificationError('UNSERVED', `the server returned no entries at index ${next}`, next);
    }
    const first = Number(next);
    const asked = Number(end - next);
    for (let i = 0; i < got.count; i++) {
      const at = next + BigInt(i);
      if (i >= asked || !indexIs(got, i, first + i)) {
        throw new VerificationError(
          'ENTRY',
          `asked for entry ${at}, the server answered with ${indexAt(got, i)}`,
          at,
        );
      }
    }
    out.push({ start: next, entries: got });
    next += BigInt(got.count);
  }
  return out;
}

const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const utf8 = new TextDecoder();

/** A body kept outside its leaf must hash to the digest it is filed under. */
export function checkBodies(part: FetchedPart, fail: (err: VerificationError) => void): void {
  for (const b of part.entries.bodies) {
    // The digest's hex is ASCII: equal bytes is equal text, whatever else the server sent.
    const digest = hash('sha256', b.data, 'hex');
    if (Buffer.compare(Buffer.from(digest, 'latin1'), hexOf(b.sha256)) !== 0) {
      const index = part.start + BigInt(b.entry);
      fail(
        new VerificationError(
          'ENTRY',
          `entry ${index}: body ${utf8.decode(b.sha256).slice(0, 16)}… does not match its digest`,
          index,
        ),
      );
    }
  }
}

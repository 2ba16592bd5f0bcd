// Fetching entries for an audit: complete ranges despite short answers, and the checks that need
// nothing but the answer itself.
import { getCrypto } from '../../../packages/tlog/index.js';
import { VerificationError } from '../verification/errors.js';
import type { LogSource, SourceEntry } from './log-source.js';

/** Fetches [start, end) completely, following short answers; checks the indexes are the ones asked. */
export async function fetchRange(source: LogSource, start: bigint, end: bigint): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  let next = start;
  while (next < end) {
    const got = await source.entries(next, end);
    if (got.length === 0) {
      throw new VerificationError('ENTRY', `the server returned no entries at index ${next}`, next);
    }
    for (const e of got) {
      if (e.index !== next || next >= end) {
        throw new VerificationError(
          'ENTRY',
          `asked for entry ${next}, the server answered with ${e.index}`,
          next,
        );
      }
      out.push(e);
      next++;
    }
  }
  return out;
}

/** A body kept outside its leaf must hash to the digest it is filed under. */
export function checkBodies(e: SourceEntry, fail: (err: VerificationError) => void): void {
  for (const b of e.bodies) {
    const digest = Buffer.from(getCrypto().sha256(b.data)).toString('hex');
    if (digest !== b.sha256) {
      fail(
        new VerificationError(
          'ENTRY',
          `entry ${e.index}: body ${b.sha256.slice(0, 16)}… does not match its digest`,
          e.index,
        ),
      );
    }
  }
}

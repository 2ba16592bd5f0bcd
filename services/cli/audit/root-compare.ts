// The phase that compares the rebuilt tree's root with the checkpoint's, and on a difference asks
// the server's inclusion proofs which entries differ (they are untrusted: they only narrow it down).
import type { Checkpoint, CompactRange } from '../../../packages/tlog/index.js';
import { VerificationError } from '../verification/errors.js';
import { locateDifference } from '../verification/locate.js';
import type { Fail } from './failures.js';
import type { LogSource } from './log-source.js';

/**
 * Reports a TREE failure when `range` (rebuilt at the checkpoint's size) does not have its root,
 * naming the entry or entries that differ when `leafHashes` (every leaf hash) allows locating them.
 */
export async function compareRoots(
  source: LogSource,
  checkpoint: Checkpoint,
  range: CompactRange,
  leafHashes: Uint8Array | undefined,
  fail: Fail,
): Promise<void> {
  const { origin, size, rootHash } = checkpoint;
  if (Buffer.compare(range.root(), rootHash) === 0) return;
  const at =
    leafHashes === undefined
      ? undefined
      : await locateDifference(
          (i) => leafHashes.subarray(Number(i) * 32, Number(i) * 32 + 32),
          size,
          rootHash,
          (i, n) => source.inclusionProof(i, n),
        );
  const where =
    at === undefined
      ? `the entries do not hash to the checkpoint's root at tree size ${size}`
      : at.to - at.from === 1n
        ? `entry ${at.from} is not the leaf the checkpoint of size ${size} commits to`
        : `entries ${at.from} to ${at.to - 1n} are not the leaves the checkpoint of size ${size} commits to ` +
          "(the server's proofs do not say which)";
  fail(new VerificationError('TREE', `${origin}: ${where}`, at?.from, size));
}

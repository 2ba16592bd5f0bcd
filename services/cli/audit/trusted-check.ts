// The phase that checks a verified checkpoint against the monitor's trusted state (--state): same
// log, no shrinking, no fork at the same size, and a valid consistency proof from the trusted size.
import { TlogError, verifyConsistency } from '../../../packages/tlog/index.js';
import type { VerifiedCheckpoint } from '../verification/checkpoint-check.js';
import { VerificationError } from '../verification/errors.js';
import type { Fail } from './failures.js';
import type { LogSource } from './log-source.js';
import type { AuditState } from './state.js';

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/**
 * Reports every way `vc` fails to extend `trusted`. Returns false when the pass cannot go on: another
 * origin, a smaller tree, or a fork at the same size; and, with `resume`, a missing or invalid
 * consistency proof (the trusted compact range would then be a base of unknown worth). Without
 * `resume` the pass goes on after a bad proof, since the full rebuild checks the trusted root itself.
 * Only a VerificationError or TlogError from the source is reported; anything else is thrown.
 */
export async function checkAgainstTrusted(
  source: LogSource,
  trusted: AuditState,
  vc: VerifiedCheckpoint,
  resume: boolean,
  fail: Fail,
): Promise<boolean> {
  if (!checkTrustedShape(trusted, vc, fail)) return false;
  const { origin, size, rootHash } = vc.checkpoint;
  if (trusted.size === 0n || trusted.size >= size) return true;
  try {
    const proof = await source.consistencyProof(trusted.size, size);
    verifyConsistency(trusted.size, size, trusted.rootHash, rootHash, proof);
    return true;
  } catch (err) {
    if (err instanceof VerificationError) fail(err);
    else if (!(err instanceof TlogError)) throw err;
    else
      fail(
        new VerificationError(
          'CONSISTENCY',
          `${origin}: no valid consistency proof from trusted size ${trusted.size} to ${size}: ${err.code}`,
          undefined,
          trusted.size,
        ),
      );
    return !resume;
  }
}

/** Origin, no shrinking, no fork at the same size. False when the pass cannot go on. */
function checkTrustedShape(trusted: AuditState, vc: VerifiedCheckpoint, fail: Fail): boolean {
  const { origin, size, rootHash } = vc.checkpoint;
  if (origin !== trusted.origin) {
    fail(
      new VerificationError('ORIGIN', `checkpoint origin ${origin} is not the trusted log ${trusted.origin}`),
    );
    return false;
  }
  if (size < trusted.size) {
    fail(
      new VerificationError(
        'ROLLBACK',
        `${origin}: the log shrank from trusted size ${trusted.size} to ${size}`,
        undefined,
        size,
      ),
    );
    return false;
  }
  if (size === trusted.size && !equal(rootHash, trusted.rootHash)) {
    fail(
      new VerificationError(
        'ROLLBACK',
        `${origin}: another root at the trusted size ${size}: the log forked`,
        undefined,
        size,
      ),
    );
    return false;
  }
  return true;
}

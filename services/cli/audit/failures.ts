// The failures one audit pass found. Phases report here instead of throwing, so a pass reports
// everything it found; the list is capped because an attacker can make every leaf fail.
import type { VerificationError } from '../verification/errors.js';

/** Where a phase reports what it found wrong. */
export type Fail = (err: VerificationError) => void;

export class FailureList {
  private readonly found: VerificationError[] = [];
  /** Whether failures were dropped because of the cap. */
  truncated = false;

  constructor(private readonly max: number) {}

  readonly fail: Fail = (err) => {
    if (this.found.length < this.max) this.found.push(err);
    else this.truncated = true;
  };

  /** The failures in log order (by index, else by tree size); equal places keep the order found. */
  sorted(): VerificationError[] {
    const at = (e: VerificationError) => e.index ?? e.size ?? 0n;
    return this.found.sort((a, b) => (at(a) < at(b) ? -1 : 1));
  }
}

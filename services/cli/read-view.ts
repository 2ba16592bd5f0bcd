// What search, history and entries share: the verdict column, the wide columns, and the exit
// status a shown failure leads to.
import type { Change } from '../../packages/change/index.js';
import { CliError } from './errors.js';
import { green, red, yellow } from './output.js';
import type { EntryVerdict } from './verification/entry-verifier.js';

/** `verified`, `FAILED CODE`, or `unverified` (newer than the checkpoint); nothing when not verifying. */
export function verdictLabel(v: EntryVerdict | undefined): string {
  if (v === undefined) return '';
  if (v.status === 'verified') return green('✓ verified');
  if (v.status === 'failed') return red(`✗ FAILED ${v.code ?? ''}`.trimEnd());
  return yellow('… unverified');
}

/** The columns `-o wide` adds: verb, source IPs, user agent, reason. */
export const WIDE_HEADERS = ['VERB', 'SOURCE', 'USER AGENT', 'REASON'];

export function wideCells(c: Change): string[] {
  return [c.verb, c.sourceIPs.join(',') || '-', c.userAgent || '-', c.reason ?? '-'];
}

/** Counts shown verdicts; throws (exit 1) once everything is printed if any failed. */
export class VerdictTally {
  private readonly failed: bigint[] = [];
  private shown = 0;

  add(index: bigint, v: EntryVerdict | undefined): void {
    if (v === undefined) return;
    this.shown++;
    if (v.status === 'failed') this.failed.push(index);
  }

  /** Throws CliError VERIFY_FAILED naming the failed indexes (the first 20). */
  finish(): void {
    if (this.failed.length === 0) return;
    const list = this.failed.slice(0, 20).join(', ') + (this.failed.length > 20 ? ', …' : '');
    throw new CliError(
      'VERIFY_FAILED',
      `${this.failed.length} of ${this.shown} shown entries failed verification: ${list}`,
    );
  }
}

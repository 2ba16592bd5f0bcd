// What the auditor needs from a log. Implementations only fetch: every answer is untrusted data
// that the auditor checks itself.
import type { EntriesView } from './get-entries-response-fast.js';

export interface LogSource {
  /** The latest published checkpoint note. */
  checkpoint(): Promise<string>;
  /**
   * Entries from start on, before end, as read from the answer's wire bytes; may hold fewer than
   * asked, and indexes the auditor checks. A malformed answer is a VerificationError at start.
   */
  entries(start: bigint, end: bigint): Promise<EntriesView>;
  consistencyProof(from: bigint, to: bigint): Promise<Uint8Array[]>;
  inclusionProof(index: bigint, size: bigint): Promise<Uint8Array[]>;
}

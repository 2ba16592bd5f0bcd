// What the auditor needs from a log. Implementations only fetch: every answer is untrusted data
// that the auditor checks itself.

export interface SourceEntry {
  index: bigint;
  leaf: Uint8Array;
  /** The server's claimed leaf hash (checked against our own). */
  leafHash: Uint8Array;
  bodies: readonly { sha256: string; data: Uint8Array }[];
}

export interface LogSource {
  /** The latest published checkpoint note. */
  checkpoint(): Promise<string>;
  /** Entries from start on, before end; may return fewer than asked, never zero for a valid range. */
  entries(start: bigint, end: bigint): Promise<SourceEntry[]>;
  consistencyProof(from: bigint, to: bigint): Promise<Uint8Array[]>;
  inclusionProof(index: bigint, size: bigint): Promise<Uint8Array[]>;
}

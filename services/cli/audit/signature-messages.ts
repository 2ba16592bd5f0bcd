// Messages between the signature pool and its workers (structured-clone shapes).
import type { VerificationErrorCode } from '../verification/errors.js';

export interface WorkerInit {
  collectorVkeys: string[];
  /** Also check canonical form and schema (the ledger's admission rules), not just the signature. */
  strict: boolean;
}

export interface BatchRequest {
  id: number;
  /** Index of the first leaf. */
  start: bigint;
  /** The GetEntries answer's bytes, as the server sent them. */
  data: ArrayBuffer;
  /**
   * Per leaf, offsets into data: leaf start, leaf end, claimed leaf hash start, claimed leaf hash
   * end (the server's claim; a claim that is not 32 bytes is a mismatch whatever it holds).
   */
  spans: Uint32Array;
}

export interface LeafFailure {
  index: bigint;
  code: VerificationErrorCode;
  message: string;
}

export interface BatchResult {
  id: number;
  /** 32-byte leaf hashes, in order. */
  hashes: ArrayBuffer;
  failures: LeafFailure[];
}

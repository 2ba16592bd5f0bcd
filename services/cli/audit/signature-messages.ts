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
  /** Leaves back to back; leaf i is data[offsets[i], offsets[i+1]). */
  data: ArrayBuffer;
  offsets: Uint32Array;
  /** The server's claimed 32-byte leaf hashes, in order (the worker compares them with its own). */
  claimed: ArrayBuffer;
  /** Positions in the batch whose claimed hash was not 32 bytes long (a mismatch whatever it holds). */
  malformed: number[];
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

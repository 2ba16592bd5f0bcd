// What failed when something the server (or a file) claims does not verify. The code says which
// check failed; index and size say where, so an operator can go and look.

export type VerificationErrorCode =
  | 'LOG_SIGNATURE' // the checkpoint is not signed by a log of the policy
  | 'QUORUM' // the checkpoint lacks the cosignatures the policy's quorum requires
  | 'CHECKPOINT' // the checkpoint note does not parse as a tlog-checkpoint
  | 'INCLUSION' // an inclusion proof does not lead from the leaf to the checkpoint's root
  | 'LEAF' // a leaf is not a well-formed signed change
  | 'COLLECTOR_SIGNATURE' // a leaf is not signed by a trusted collector key of its cluster
  | 'ENTRY' // the server's entries contradict themselves: wrong index, leaf hash, body digest, gap
  | 'UNSERVED' // the server returned no entries where its checkpoint commits to some (may pass)
  | 'TREE' // the tree re-derived from the entries has another root than the checkpoint
  | 'TILE' // a hash tile is not the hashes of the tree re-derived from the entries
  | 'CONSISTENCY' // no valid consistency proof from the trusted checkpoint to the new one
  | 'ROLLBACK' // the log is smaller than, or forked from, the trusted checkpoint
  | 'ORIGIN'; // the checkpoint is of another log than the trusted one

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  constructor(
    readonly code: VerificationErrorCode,
    message: string,
    /** Where: the leaf index concerned, when there is one. */
    readonly index?: bigint,
    /** Where: the tree size concerned, when there is one. */
    readonly size?: bigint,
  ) {
    super(message);
  }

  /** The JSON shape scripts see: code and location, never a stack. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.index !== undefined ? { index: this.index } : {}),
      ...(this.size !== undefined ? { size: this.size } : {}),
    };
  }
}

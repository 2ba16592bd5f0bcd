// The seam between the checkpointer and whoever cosigns its checkpoints (witnesses).

/**
 * Collects cosignatures for checkpoints. Obligations of an implementation:
 * - `cosign` resolves to the note with cosignatures merged once the policy's quorum is met, or to
 *   undefined when it is not met this time (the caller keeps the last published checkpoint and retries
 *   later). It never rejects because a witness failed, refused or timed out.
 * - `proof(from)` gives the consistency proof from an earlier tree size to `size`; the cosigner asks it
 *   for the size each witness last cosigned.
 */
export interface CheckpointCosigner {
  cosign(note: string, size: bigint, proof: (from: bigint) => Uint8Array[]): Promise<string | undefined>;
  close?(): Promise<void>;
}

/** Publishes every checkpoint with the log's signature alone (policy `quorum none`). */
export const withoutWitnesses: CheckpointCosigner = {
  cosign: async (note) => note,
};

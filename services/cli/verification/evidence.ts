// Offline verification of one entry's evidence (DESIGN 3.6): the leaf, its tlog-proof and the
// user's policy and collector keys. Every verdict is computed here; the files are data only.
import type { Change } from '../../../packages/change/index.js';
import {
  leafHash,
  type Policy,
  type PublicKey,
  TlogError,
  type TlogProof,
  verifyInclusion,
} from '../../../packages/tlog/index.js';
import { checkCheckpoint, type VerifiedCheckpoint } from './checkpoint-check.js';
import { VerificationError } from './errors.js';
import { checkLeaf } from './leaf-check.js';

export interface VerifiedEntry extends VerifiedCheckpoint {
  index: bigint;
  change: Change;
  /** The collector key that signed the leaf; undefined when no collector key was given. */
  signer?: string;
}

/** Checks log signature, quorum, inclusion, then the collector signature. Throws VerificationError. */
export function verifyEvidence(
  proof: TlogProof,
  leaf: Uint8Array,
  policy: Policy,
  collectorKeys: readonly PublicKey[],
): VerifiedEntry {
  const cp = checkCheckpoint(proof.checkpoint, policy);
  checkInclusion(proof.index, cp.checkpoint.size, leafHash(leaf), proof.hashes, cp.checkpoint.rootHash);
  const { change, signer } = checkLeaf(leaf, collectorKeys, proof.index);
  return { ...cp, index: proof.index, change, ...(signer !== undefined ? { signer } : {}) };
}

export function checkInclusion(
  index: bigint,
  size: bigint,
  hash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  try {
    verifyInclusion(index, size, hash, proof, root);
  } catch (err) {
    if (!(err instanceof TlogError)) throw err;
    throw new VerificationError(
      'INCLUSION',
      `entry ${index} is not included in the tree of size ${size}: ${err.code}: ${err.message}`,
      index,
      size,
    );
  }
}

// Proof verification (RFC 9162 2.1.3.2 and 2.1.4.2). Every argument is attacker-controlled: sizes,
// indexes and hash lengths are checked, and the proof length is compared with the one the sizes
// imply, before any hashing. The RFC's loops shift the index and size together level by level;
// the equivalent closed form used here splits the path at the level where the paths to `index`
// and to `size-1` meet (`inner` levels below it, where the index's bit says which side the
// sibling is on; then `border` left siblings up the tree's right edge).
import { TlogError } from './errors.js';
import { nodeHash } from './hash.js';
import {
  bitAt,
  bitLength,
  checkHash,
  checkTreeSize,
  popcountFrom,
  sameHash,
  trailingZeros,
  u64,
  xor64,
} from './merkle-bounds.js';

function checkProofHashes(proof: readonly Uint8Array[]): void {
  for (const p of proof) checkHash(p, 'proof hash');
}

function invalid(why: string): never {
  throw new TlogError('PROOF_INVALID', why);
}

/** Verifies an inclusion proof (RFC 9162 2.1.3.2). Throws TlogError (PROOF_INVALID, BAD_RANGE, BAD_HASH_SIZE). */
export function verifyInclusion(
  index: bigint,
  size: bigint,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  checkHash(leafHash, 'leaf hash');
  checkHash(root, 'root hash');
  checkTreeSize(size);
  if (index < 0n || index >= size)
    throw new TlogError('BAD_RANGE', `leaf index ${index} >= tree size ${size}`);
  const idx = u64(index);
  const inner = bitLength(xor64(idx, u64(size - 1n)));
  const border = popcountFrom(idx, inner);
  if (proof.length !== inner + border)
    invalid(`inclusion proof has ${proof.length} hashes, want ${inner + border}`);
  checkProofHashes(proof);

  let h = leafHash;
  for (let i = 0; i < inner; i++) {
    const p = proof[i]!;
    h = bitAt(idx, i) === 1 ? nodeHash(p, h) : nodeHash(h, p);
  }
  for (let i = inner; i < proof.length; i++) h = nodeHash(proof[i]!, h);
  if (!sameHash(h, root)) invalid('inclusion proof does not lead to the root');
}

/** Verifies a consistency proof (RFC 9162 2.1.4.2). m = n with empty proof and equal roots is valid; m = 0 is BAD_RANGE. */
export function verifyConsistency(
  m: bigint,
  n: bigint,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  checkHash(root1, 'first root hash');
  checkHash(root2, 'second root hash');
  checkTreeSize(n, 'second tree size');
  if (m <= 0n || m > n) throw new TlogError('BAD_RANGE', `consistency from ${m} to ${n}`);
  if (m === n) {
    if (proof.length !== 0) invalid('consistency proof between equal sizes must be empty');
    if (!sameHash(root1, root2)) invalid('equal sizes with different roots');
    return;
  }
  const last1 = u64(m - 1n);
  const fork = bitLength(xor64(last1, u64(n - 1n)));
  const border = popcountFrom(last1, fork);
  // Levels below `shift` are inside the old tree's rightmost complete subtree, whose hash starts
  // the chain: the proof's first hash, or root1 itself when the old tree is that subtree.
  const shift = trailingZeros(u64(m));
  const inner = fork - shift;
  const oldIsPerfect = (m & (m - 1n)) === 0n;
  const start = oldIsPerfect ? 0 : 1;
  if (proof.length !== start + inner + border) {
    invalid(`consistency proof has ${proof.length} hashes, want ${start + inner + border}`);
  }
  checkProofHashes(proof);

  const seed = oldIsPerfect ? root1 : proof[0]!;
  let h1 = seed;
  let h2 = seed;
  for (let i = 0; i < inner; i++) {
    const p = proof[start + i]!;
    if (bitAt(last1, shift + i) === 1) {
      h1 = nodeHash(p, h1);
      h2 = nodeHash(p, h2);
    } else {
      // A right sibling: part of the new tree only.
      h2 = nodeHash(h2, p);
    }
  }
  for (let i = start + inner; i < proof.length; i++) {
    const p = proof[i]!;
    h1 = nodeHash(p, h1);
    h2 = nodeHash(p, h2);
  }
  if (!sameHash(h1, root1)) invalid('consistency proof does not lead to the first root');
  if (!sameHash(h2, root2)) invalid('consistency proof does not lead to the second root');
}

// RFC 6962 / RFC 9162 Merkle tree math over stored complete subtrees.
//
// Storage model: a log stores the hash of every *complete* (perfect) subtree once it exists, leaf
// level 0 included; `CompactRange.append` reports exactly those nodes to its visitor, and nothing
// else is ever stored. A complete subtree's hash never changes as the log grows, so stored rows are
// immutable. Any hash that covers a partial right edge (the root of a tree whose size is not a
// power of two, or a proof sibling that reaches the end of the tree) is *ephemeral*: it is
// recomputed on demand from the O(log n) stored subtrees that tile it. Hence a root, inclusion
// proof or consistency proof for any past or present size reads O(log n) stored hashes and
// hashes O(log n) more, and the `*Nodes` functions name the exact NodeIds up front so a store can
// fetch them in one query. This is the same node layout as C2SP tlog-tiles (tiles hold complete
// subtrees only), so tiles are a view over the same rows.
//
// All sizes and indexes are bigint; trees are limited to MAX_TREE_SIZE leaves (sizes arrive as
// decimal text limited to 2^63-1, and u64 arithmetic stays exact below that).

export { CompactRange } from './compact-range.js';
export { MAX_TREE_SIZE } from './merkle-bounds.js';
export {
  consistencyProof,
  consistencyProofNodes,
  EdgeFoldCache,
  inclusionProof,
  inclusionProofNodes,
  rootAt,
  rootNodes,
} from './merkle-proof.js';
export { verifyConsistency, verifyInclusion } from './merkle-verify.js';

/** A complete subtree: `level` 0 is a leaf; node (level, index) covers leaves [index<<level, (index+1)<<level). */
export interface NodeId {
  level: number;
  index: bigint;
}

/**
 * Reads the stored hash of a complete subtree. Synchronous (SQLite via better-sqlite3 is).
 * Throws TlogError('MISSING_NODE') when absent.
 */
export type NodeReader = (level: number, index: bigint) => Uint8Array;

/** Called for every complete subtree an append creates, leaf (level 0) included, bottom up. */
export type NodeVisitor = (level: number, index: bigint, hash: Uint8Array) => void;

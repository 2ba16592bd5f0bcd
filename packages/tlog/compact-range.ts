// The compact range [0, size): what a log keeps in memory (and stores) to append without reading
// any other node. Its peaks are the roots of the perfect subtrees whose sizes are the set bits of
// `size`, largest (leftmost) first.
import { TlogError } from './errors.js';
import { emptyRoot, HASH_SIZE, nodeHash } from './hash.js';
import type { NodeVisitor } from './merkle.js';
import { bigPopcount, checkHash, checkTreeSize, MAX_TREE_SIZE } from './merkle-bounds.js';

/** Bytes of the big-endian u64 size that starts an encoded range. */
const SIZE_BYTES = 8;

export class CompactRange {
  // Memoized: a range is immutable, and checkpointing asks for the same root repeatedly.
  #root: Uint8Array | undefined;

  private constructor(
    readonly size: bigint,
    readonly peaks: readonly Uint8Array[],
  ) {}

  static empty(): CompactRange {
    return new CompactRange(0n, []);
  }

  /** Rebuilds a range from stored state; checks that peaks.length == popcount(size). */
  static fromState(size: bigint, peaks: readonly Uint8Array[]): CompactRange {
    checkTreeSize(size);
    const want = bigPopcount(size);
    if (peaks.length !== want) {
      throw new TlogError(
        'MALFORMED',
        `compact range of size ${size} needs ${want} peaks, got ${peaks.length}`,
      );
    }
    for (const p of peaks) checkHash(p, 'peak');
    return new CompactRange(
      size,
      peaks.map((p) => p.slice()),
    );
  }

  /** Appends one leaf hash; reports every new complete subtree to visit. Returns the new range. */
  append(leafHash: Uint8Array, visit?: NodeVisitor): CompactRange {
    checkHash(leafHash, 'leaf hash');
    if (this.size >= MAX_TREE_SIZE) throw new TlogError('BAD_RANGE', 'tree is full');
    let index = this.size;
    let hash = leafHash;
    visit?.(0, index, hash);
    // Each trailing 1 bit of the old size is a peak of the same height as the carry: merge them.
    let keep = this.peaks.length;
    let level = 0;
    for (let s = this.size; (s & 1n) === 1n; s >>= 1n) {
      const left = this.peaks[--keep];
      if (left === undefined) throw new TlogError('MALFORMED', 'compact range state is inconsistent');
      hash = nodeHash(left, hash);
      index >>= 1n;
      level++;
      visit?.(level, index, hash);
    }
    const peaks = this.peaks.slice(0, keep);
    peaks.push(hash);
    return new CompactRange(this.size + 1n, peaks);
  }

  /** The RFC 6962 root hash of the tree of this size. */
  root(): Uint8Array {
    if (this.#root === undefined) {
      let i = this.peaks.length - 1;
      let acc = this.peaks[i];
      if (acc === undefined) {
        acc = emptyRoot();
      } else {
        for (i--; i >= 0; i--) acc = nodeHash(this.peaks[i]!, acc);
      }
      this.#root = acc;
    }
    return this.#root.slice();
  }

  /** Serialized state for storage: big-endian u64 size, then the peaks. Inverse of decode. */
  encode(): Uint8Array {
    const out = new Uint8Array(SIZE_BYTES + HASH_SIZE * this.peaks.length);
    new DataView(out.buffer).setBigUint64(0, this.size, false);
    this.peaks.forEach((p, i) => {
      out.set(p, SIZE_BYTES + HASH_SIZE * i);
    });
    return out;
  }

  /** Parses encode()'s output. Stored state may be corrupt: any mismatch is MALFORMED, never a crash. */
  static decode(bytes: Uint8Array): CompactRange {
    if (bytes.length < SIZE_BYTES) throw new TlogError('MALFORMED', 'compact range too short');
    const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, false);
    if (size > MAX_TREE_SIZE) throw new TlogError('MALFORMED', 'compact range size out of range');
    const count = bigPopcount(size);
    if (bytes.length !== SIZE_BYTES + HASH_SIZE * count) {
      throw new TlogError(
        'MALFORMED',
        `compact range of size ${size} must be ${SIZE_BYTES + HASH_SIZE * count} bytes`,
      );
    }
    const peaks: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const at = SIZE_BYTES + HASH_SIZE * i;
      peaks.push(bytes.slice(at, at + HASH_SIZE));
    }
    return new CompactRange(size, peaks);
  }
}

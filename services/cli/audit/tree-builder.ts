// The audit's running tree: the compact range of the leaves checked so far, updated in place. The
// same math as CompactRange.append, but without a new range, array and bigint per leaf, and with
// one-shot hashing of a reused buffer: on a million leaves the per-leaf allocations of the
// immutable range cost the main thread more than the hashing does.
import { hash } from 'node:crypto';
import { CompactRange, HASH_SIZE } from '../../../packages/tlog/index.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class TreeBuilder {
  /** Peaks, largest first, back to back: 32 bytes each (a size below 2^53 has at most 53). */
  private readonly peaks = new Uint8Array(64 * HASH_SIZE);
  private count = 0;
  private n: number;
  /** 0x01 ‖ left ‖ right: the interior node's preimage, rewritten in place. */
  private readonly node = Buffer.alloc(1 + 2 * HASH_SIZE);

  constructor(from: CompactRange) {
    if (from.size > MAX_SAFE) throw new RangeError('tree too large to rebuild in one process');
    this.n = Number(from.size);
    this.node[0] = 0x01;
    for (const p of from.peaks) this.peaks.set(p, HASH_SIZE * this.count++);
  }

  get size(): bigint {
    return BigInt(this.n);
  }

  /** Appends 32-byte leaf hashes back to back, in index order. */
  appendHashes(hashes: Uint8Array, from = 0, to = hashes.length / HASH_SIZE): void {
    const node = this.node;
    const peaks = this.peaks;
    for (let i = from; i < to; i++) {
      // Each trailing 1 bit of the size is a peak to merge with the carry (the new leaf's subtree).
      node.set(hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE), 1 + HASH_SIZE);
      for (let s = this.n; s % 2 === 1; s = Math.floor(s / 2)) {
        this.count--;
        node.set(peaks.subarray(this.count * HASH_SIZE, (this.count + 1) * HASH_SIZE), 1);
        const h = hash('sha256', node, 'buffer');
        node.set(h, 1 + HASH_SIZE);
      }
      peaks.set(node.subarray(1 + HASH_SIZE), this.count * HASH_SIZE);
      this.count++;
      this.n++;
    }
  }

  /** The compact range at the current size (a copy). */
  range(): CompactRange {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.peaks.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
    return CompactRange.fromState(BigInt(this.n), out);
  }
}

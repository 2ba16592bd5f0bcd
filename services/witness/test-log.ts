// Test support (not part of the service): a tiny in-memory log that signs checkpoints and serves
// consistency proofs, so witness tests drive the protocol exactly as a real log would.
import {
  CompactRange,
  consistencyProof,
  formatCheckpoint,
  generateKey,
  leafHash,
  type PrivateKey,
  signNote,
  TlogError,
} from '../../packages/tlog/index.js';

export class TestLog {
  readonly #nodes = new Map<string, Uint8Array>();
  readonly #roots: Uint8Array[] = [];
  range = CompactRange.empty();

  constructor(readonly key: PrivateKey = generateKey('example.com/test-log')) {
    this.#roots.push(this.range.root());
  }

  get origin(): string {
    return this.key.name;
  }

  append(...leaves: (string | Uint8Array)[]): this {
    for (const leaf of leaves) {
      const bytes = typeof leaf === 'string' ? new TextEncoder().encode(leaf) : leaf;
      this.range = this.range.append(leafHash(bytes), (level, index, h) => {
        this.#nodes.set(`${level}/${index}`, h);
      });
      this.#roots.push(this.range.root());
    }
    return this;
  }

  get size(): bigint {
    return this.range.size;
  }

  root(size = this.size): Uint8Array {
    const r = this.#roots[Number(size)];
    if (r === undefined) throw new Error(`no size ${size}`);
    return r;
  }

  /** The signed checkpoint note at a size (default: the current one). */
  checkpoint(size = this.size, key: PrivateKey = this.key, ...others: PrivateKey[]): string {
    const text = formatCheckpoint({ origin: this.origin, size, rootHash: this.root(size), extensions: [] });
    return signNote(text, key, ...others);
  }

  proof(from: bigint, to = this.size): Uint8Array[] {
    if (from === 0n || from === to) return [];
    return consistencyProof(from, to, (level, index) => {
      const h = this.#nodes.get(`${level}/${index}`);
      if (h === undefined) throw new TlogError('MISSING_NODE', `no node ${level}/${index}`);
      return h;
    });
  }
}

// packages/tlog test support (not part of the package's API, not in the image): the one in-memory
// log every package's and service's tests use, and the crypto providers every vector suite and the
// benchmarks compare.
import { type CryptoProvider, setCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import {
  CompactRange,
  consistencyProof,
  cosignatureVkey,
  cosignCheckpoint,
  formatCheckpoint,
  formatNote,
  formatTlogProof,
  generateKey,
  inclusionProof,
  leafHash,
  mergeSignatures,
  type NodeReader,
  type PrivateKey,
  parseNote,
  rootAt,
  signNote,
  TlogError,
} from './index.js';

export { nobleCrypto, nodeCrypto };

export const PROVIDERS: readonly CryptoProvider[] = [nodeCrypto, nobleCrypto];

/** Runs fn with provider installed, restoring node:crypto afterwards. */
export function withCrypto<T>(provider: CryptoProvider, fn: () => T): T {
  setCrypto(provider);
  try {
    return fn();
  } finally {
    setCrypto(nodeCrypto);
  }
}

export interface MemoryLogOptions {
  /** The log's signing key; generated when absent. */
  logKey?: PrivateKey;
  /** The checkpoint origin; the log key's name when absent. */
  origin?: string;
  /** Witnesses that cosign every checkpoint() by default. */
  witnesses?: readonly { name: string; key: PrivateKey }[];
  /** Cosignature time (unix seconds); the clock when absent. */
  now?: () => bigint;
}

/** A checkpoint text signed by the log key and cosigned at `time` by each witness. */
export function cosignedCheckpoint(
  text: string,
  logKey: PrivateKey,
  witnesses: readonly { key: PrivateKey }[],
  time: bigint,
): string {
  const signed = signNote(text, logKey);
  if (witnesses.length === 0) return signed;
  const lines = witnesses.map((w) => cosignCheckpoint(text, w.key, time));
  return formatNote(mergeSignatures(parseNote(signed), lines));
}

/**
 * The one in-memory transparency log for tests: its leaves, every complete subtree as a store keeps
 * them (filled by CompactRange's visitor, which must visit each node once), signed and cosigned
 * checkpoints, and proofs, built only from this package so tests of verifiers, witnesses and
 * auditors hold them to real signatures and proofs (and to deliberately broken ones).
 */
export class MemoryLog {
  readonly leaves: Uint8Array[] = [];
  readonly nodes = new Map<string, Uint8Array>();
  readonly logKey: PrivateKey;
  readonly origin: string;
  readonly witnesses: readonly { name: string; key: PrivateKey }[];
  #range = CompactRange.empty();

  constructor(readonly opts: MemoryLogOptions = {}) {
    this.logKey = opts.logKey ?? generateKey('example.com/memory-log');
    this.origin = opts.origin ?? this.logKey.name;
    this.witnesses = opts.witnesses ?? [];
  }

  /** The log's key (the name witness tests know it by). */
  get key(): PrivateKey {
    return this.logKey;
  }

  get range(): CompactRange {
    return this.#range;
  }

  get size(): bigint {
    return this.#range.size;
  }

  /** Appends leaves (text as UTF-8); returns the log, for chaining. */
  append(...leaves: (string | Uint8Array)[]): this {
    for (const leaf of leaves)
      this.appendLeaf(typeof leaf === 'string' ? new TextEncoder().encode(leaf) : leaf);
    return this;
  }

  /** Appends one leaf; returns its index. */
  appendLeaf(leaf: Uint8Array): bigint {
    const index = this.size;
    this.leaves.push(leaf);
    this.appendHash(leafHash(leaf));
    return index;
  }

  /** Appends a leaf hash whose leaf the test does not keep (leaves[] then no longer lines up). */
  appendHash(hash: Uint8Array): void {
    this.#range = this.#range.append(hash, (level, index, h) => {
      const key = `${level}/${index}`;
      if (this.nodes.has(key)) throw new Error(`node ${key} visited twice`);
      this.nodes.set(key, h);
    });
  }

  readonly read: NodeReader = (level, index) => {
    const h = this.nodes.get(`${level}/${index}`);
    if (h === undefined) throw new TlogError('MISSING_NODE', `no node ${level}/${index}`);
    return h;
  };

  root(size = this.size): Uint8Array {
    if (size > this.size) throw new Error(`no size ${size} in a log of ${this.size}`);
    return rootAt(size, this.read);
  }

  /** The checkpoint text (body) of a size. */
  checkpointText(size = this.size): string {
    return formatCheckpoint({ origin: this.origin, size, rootHash: this.root(size), extensions: [] });
  }

  /** The checkpoint note signed by the log and cosigned by the given witnesses (default: all). */
  checkpoint(size = this.size, witnesses = this.witnesses): string {
    const time = this.opts.now?.() ?? BigInt(Math.floor(Date.now() / 1000));
    return cosignedCheckpoint(this.checkpointText(size), this.logKey, witnesses, time);
  }

  /** The checkpoint note signed by exactly these keys (an impostor, or the log and a stranger). */
  signedCheckpoint(size: bigint, ...keys: [PrivateKey, ...PrivateKey[]]): string {
    return signNote(this.checkpointText(size), ...keys);
  }

  inclusionProof(index: bigint, size = this.size): Uint8Array[] {
    return inclusionProof(index, size, this.read);
  }

  /** RFC 9162 consistency proof; empty from size 0 or to the same size, as tlog-witness sends it. */
  consistencyProof(from: bigint, to = this.size): Uint8Array[] {
    if (from === 0n || from === to) return [];
    return consistencyProof(from, to, this.read);
  }

  tlogProof(index: bigint, note = this.checkpoint()): string {
    const size = BigInt(note.split('\n')[1] ?? '0');
    return formatTlogProof({ index, hashes: this.inclusionProof(index, size), checkpoint: note });
  }

  /** A tlog-policy trusting this log and requiring every witness (quorum none without witnesses). */
  policy(): string {
    const lines = [`log ${this.logKey.vkey}`];
    for (const w of this.witnesses) lines.push(`witness ${w.name} ${cosignatureVkey(w.key)}`);
    if (this.witnesses.length === 0) lines.push('quorum none');
    else if (this.witnesses.length === 1) lines.push(`quorum ${this.witnesses[0]?.name}`);
    else {
      lines.push(`group all-witnesses all ${this.witnesses.map((w) => w.name).join(' ')}`);
      lines.push('quorum all-witnesses');
    }
    return `${lines.join('\n')}\n`;
  }
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function fromB64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Asserts fn throws a TlogError with this code (tests assert codes, never messages). */
export function throwsCode(fn: () => unknown, code: TlogError['code']): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlogError && e.code === code) return;
    throw new Error(`expected TlogError ${code}, got ${e instanceof TlogError ? e.code : String(e)}`);
  }
  throw new Error(`expected TlogError ${code}, nothing thrown`);
}

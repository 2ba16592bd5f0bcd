// packages/tlog test support (not part of the package's API, not in the image): an in-memory node
// store filled by CompactRange's visitor, and the crypto providers every vector suite and the
// benchmarks compare.
import { type CryptoProvider, setCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { TlogError } from './errors.js';
import { leafHash } from './hash.js';
import { CompactRange, type NodeReader } from './merkle.js';

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

/** Every complete subtree of a log, as a store keeps them, plus the range after each append. */
export class MemoryNodeStore {
  readonly nodes = new Map<string, Uint8Array>();
  range = CompactRange.empty();

  appendLeaf(leaf: Uint8Array): void {
    this.appendHash(leafHash(leaf));
  }

  appendHash(hash: Uint8Array): void {
    this.range = this.range.append(hash, (level, index, h) => {
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

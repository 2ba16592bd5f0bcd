// The phase that downloads the entries, checks each answer (indexes, bodies, and in the worker pool
// every leaf's collector signature and hash) and rebuilds the tree from the leaf hashes, with the
// network and the workers overlapping.
import type { CompactRange } from '../../../packages/tlog/index.js';
import { VerificationError } from '../verification/errors.js';
import type { Fail } from './failures.js';
import { checkBodies, type FetchedPart, fetchRange } from './fetch.js';
import type { LogSource } from './log-source.js';
import type { SignaturePool } from './signature-pool.js';
import type { AuditState } from './state.js';
import { TreeBuilder } from './tree-builder.js';

/** Leaf hashes kept to locate a differing leaf: 4 Mi leaves = 128 MiB. Larger logs report sizes only. */
export const MAX_LOCATE_LEAVES = 4n * 1024n * 1024n;

export interface RebuildOptions {
  origin: string;
  /** The checkpoint's tree size: the rebuild covers [base.size, size). */
  size: bigint;
  /** The tree so far: empty, or the trusted compact range when resuming. */
  base: CompactRange;
  /** When set, the rebuilt tree must have its root at its size (history was not rewritten). */
  trusted?: AuditState;
  batchSize: bigint;
  fetchConcurrency: number;
  onProgress?: (done: bigint, total: bigint) => void;
}

export interface Rebuilt {
  /** The tree as far as the entries were read; at the checkpoint's size unless `complete` is false. */
  range: CompactRange;
  complete: boolean;
  /** Every leaf hash, 32 bytes each, when rebuilding from index 0 a log of at most MAX_LOCATE_LEAVES. */
  leafHashes?: Uint8Array;
}

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/**
 * Rebuilds the tree from `base` to `size`. Reports bad indexes, bodies, signatures and leaf hashes,
 * and a tree that does not have the trusted root at the trusted size. An answer the pass cannot
 * go on from (a VerificationError from the source or fetch) is reported and ends the rebuild early
 * (`complete: false`). Hashes are appended in index order whatever order the answers arrive in.
 */
export async function rebuildTree(
  source: LogSource,
  pool: SignaturePool,
  o: RebuildOptions,
  fail: Fail,
): Promise<Rebuilt> {
  const { size, trusted } = o;
  const from = o.base.size;
  const tree = new TreeBuilder(o.base);
  // Only allocated when from is 0, so indexes are within a Number's exact range.
  const keep = from === 0n && size <= MAX_LOCATE_LEAVES ? new Uint8Array(Number(size) * 32) : undefined;

  const inFlight: { part: FetchedPart; check: ReturnType<SignaturePool['check']> }[] = [];
  const fetches: Promise<FetchedPart[]>[] = [];
  let nextFetch = from;
  const startFetch = () => {
    if (nextFetch >= size) return false;
    const end = size - nextFetch > o.batchSize ? nextFetch + o.batchSize : size; // bigint: no Math.min
    const fetch = fetchRange(source, nextFetch, end);
    // Prefetched ranges fail ahead of their turn (a server that returns no entries for one): the
    // failure is read in index order when its turn comes, never left to crash the process meanwhile.
    fetch.catch(() => undefined);
    fetches.push(fetch);
    nextFetch = end;
    return true;
  };
  for (let i = 0; i < o.fetchConcurrency && startFetch(); i++);

  // Drains the oldest checked answer: its failures (signatures, and leaf hashes that differ from the
  // server's, both found by the worker), then its hashes appended to the tree in index order.
  const drain = async () => {
    const b = inFlight.shift();
    if (b === undefined) return;
    const result = await b.check;
    const hashes = new Uint8Array(result.hashes);
    for (const f of result.failures) fail(new VerificationError(f.code, f.message, f.index));
    const count = b.part.entries.count;
    if (keep !== undefined) keep.set(hashes, Number(b.part.start) * 32);
    // Whether the trusted size falls inside this answer (the tree must then have the trusted root).
    const at = tree.size;
    if (trusted !== undefined && trusted.size > at && trusted.size <= at + BigInt(count)) {
      const upTo = Number(trusted.size - at);
      tree.appendHashes(hashes, 0, upTo);
      if (!equal(tree.range().root(), trusted.rootHash)) {
        fail(
          new VerificationError(
            'ROLLBACK',
            `${o.origin}: the entries up to size ${trusted.size} do not form the trusted tree: history was rewritten`,
            undefined,
            trusted.size,
          ),
        );
      }
      tree.appendHashes(hashes, upTo, count);
    } else {
      tree.appendHashes(hashes, 0, count);
    }
    o.onProgress?.(tree.size - from, size - from);
  };

  try {
    while (fetches.length > 0) {
      const parts = await (fetches.shift() as Promise<FetchedPart[]>);
      startFetch();
      for (const part of parts) {
        // Bodies first: the answer's bytes move to a worker with the check.
        checkBodies(part, fail);
        const check = pool.check(part);
        check.catch(() => {});
        inFlight.push({ part, check });
      }
      while (inFlight.length > pool.size * 2) await drain();
    }
    while (inFlight.length > 0) await drain();
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    fail(err);
    return { range: tree.range(), complete: false };
  } finally {
    // Let failed fetches and checks settle quietly once we stop consuming them (closing the pool
    // fails the checks still in flight).
    for (const f of fetches) f.catch(() => {});
    for (const b of inFlight) b.check.catch(() => {});
  }
  return { range: tree.range(), complete: true, ...(keep !== undefined ? { leafHashes: keep } : {}) };
}

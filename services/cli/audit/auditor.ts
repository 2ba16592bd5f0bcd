// One audit pass over a log: verify its latest checkpoint against the policy, check that it extends
// the trusted one, download the entries, re-derive the tree, and check every leaf's collector
// signature (in the worker pool). Failures are collected with their location rather than thrown,
// so one pass reports everything it found, up to a cap.
import { CompactRange, type Policy, TlogError, verifyConsistency } from '../../../packages/tlog/index.js';
import { checkCheckpoint, type VerifiedCheckpoint } from '../verification/checkpoint-check.js';
import { VerificationError } from '../verification/errors.js';
import { locateDifference } from '../verification/locate.js';
import { checkBodies, type FetchedPart, fetchRange } from './fetch.js';
import type { LogSource } from './log-source.js';
import type { SignaturePool } from './signature-pool.js';
import type { AuditState } from './state.js';
import { TreeBuilder } from './tree-builder.js';

/** Entries asked for per GetEntries call (the server may answer with fewer). */
export const DEFAULT_BATCH_SIZE = 1000;
/** GetEntries calls in flight at once, so the network and the workers overlap. */
export const DEFAULT_FETCH_CONCURRENCY = 4;
/** A pass stops collecting failures after this many (an attacker can make every leaf fail). */
export const DEFAULT_MAX_FAILURES = 100;
/** Leaf hashes kept to locate a differing leaf: 4 Mi leaves = 128 MiB. Larger logs report sizes only. */
export const MAX_LOCATE_LEAVES = 4n * 1024n * 1024n;

export interface AuditOptions {
  policy: Policy;
  /** The trusted checkpoint from --state, if any. */
  trusted?: AuditState;
  /** Start from the trusted compact range instead of index 0. */
  resume?: boolean;
  batchSize?: number;
  fetchConcurrency?: number;
  maxFailures?: number;
  onProgress?: (done: bigint, total: bigint) => void;
}

export interface AuditReport {
  checkpoint?: VerifiedCheckpoint;
  /** First index whose leaf was checked in this pass. */
  from: bigint;
  /** Number of leaves downloaded and checked. */
  checked: bigint;
  range?: CompactRange;
  failures: VerificationError[];
  /** Whether failures were dropped because of maxFailures. */
  truncated: boolean;
}

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

export async function auditOnce(
  source: LogSource,
  pool: SignaturePool,
  opts: AuditOptions,
): Promise<AuditReport> {
  const failures: VerificationError[] = [];
  const maxFailures = opts.maxFailures ?? DEFAULT_MAX_FAILURES;
  let truncated = false;
  const fail = (e: VerificationError) => {
    if (failures.length < maxFailures) failures.push(e);
    else truncated = true;
  };
  const report = (extra: Partial<AuditReport> = {}): AuditReport => ({
    from: 0n,
    checked: 0n,
    ...extra,
    failures: failures.sort((a, b) => ((a.index ?? a.size ?? 0n) < (b.index ?? b.size ?? 0n) ? -1 : 1)),
    truncated,
  });

  let vc: VerifiedCheckpoint;
  try {
    vc = checkCheckpoint(await source.checkpoint(), opts.policy);
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    fail(err);
    return report();
  }
  const { size, rootHash, origin } = vc.checkpoint;
  const trusted = opts.trusted;
  if (trusted !== undefined && !checkTrusted(source, trusted, vc, fail)) return report({ checkpoint: vc });
  if (trusted !== undefined && trusted.size < size && trusted.size > 0n) {
    try {
      const proof = await source.consistencyProof(trusted.size, size);
      verifyConsistency(trusted.size, size, trusted.rootHash, rootHash, proof);
    } catch (err) {
      if (err instanceof VerificationError) fail(err);
      else if (!(err instanceof TlogError)) throw err;
      else
        fail(
          new VerificationError(
            'CONSISTENCY',
            `${origin}: no valid consistency proof from trusted size ${trusted.size} to ${size}: ${err.code}`,
            undefined,
            trusted.size,
          ),
        );
      if (opts.resume === true) return report({ checkpoint: vc });
    }
  }

  const resume = opts.resume === true && trusted !== undefined;
  const from = resume ? trusted.size : 0n;
  const tree = new TreeBuilder(resume ? trusted.range : CompactRange.empty());
  // keep is only allocated when from is 0, so indexes are within a Number's exact range.
  const keep = from === 0n && size <= MAX_LOCATE_LEAVES ? new Uint8Array(Number(size) * 32) : undefined;

  const batchSize = BigInt(opts.batchSize ?? DEFAULT_BATCH_SIZE);
  const fetchAhead = opts.fetchConcurrency ?? DEFAULT_FETCH_CONCURRENCY;
  const inFlight: { part: FetchedPart; check: ReturnType<SignaturePool['check']> }[] = [];
  const fetches: Promise<FetchedPart[]>[] = [];
  let nextFetch = from;
  const startFetch = () => {
    if (nextFetch >= size) return false;
    const end = nextFetch + batchSize < size ? nextFetch + batchSize : size;
    fetches.push(fetchRange(source, nextFetch, end));
    nextFetch = end;
    return true;
  };
  for (let i = 0; i < fetchAhead && startFetch(); i++);

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
    const base = tree.size;
    if (trusted !== undefined && trusted.size > base && trusted.size <= base + BigInt(count)) {
      const upTo = Number(trusted.size - base);
      tree.appendHashes(hashes, 0, upTo);
      if (!equal(tree.range().root(), trusted.rootHash)) {
        fail(
          new VerificationError(
            'ROLLBACK',
            `${origin}: the entries up to size ${trusted.size} do not form the trusted tree: history was rewritten`,
            undefined,
            trusted.size,
          ),
        );
      }
      tree.appendHashes(hashes, upTo, count);
    } else {
      tree.appendHashes(hashes, 0, count);
    }
    opts.onProgress?.(tree.size - from, size - from);
  };

  try {
    while (fetches.length > 0) {
      const parts = await (fetches.shift() as Promise<FetchedPart[]>);
      startFetch();
      for (const part of parts) {
        // Bodies first: the answer's bytes move to a worker with the check.
        checkBodies(part, fail);
        inFlight.push({ part, check: pool.check(part) });
      }
      while (inFlight.length > pool.size * 2) await drain();
    }
    while (inFlight.length > 0) await drain();
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    fail(err);
    return report({ checkpoint: vc, from, checked: tree.size - from });
  } finally {
    // Let failed fetches settle quietly once we stop consuming them.
    for (const f of fetches) f.catch(() => {});
  }

  const range = tree.range();
  if (!equal(range.root(), rootHash)) {
    const at =
      keep === undefined
        ? undefined
        : await locateDifference(
            (i) => keep.subarray(Number(i) * 32, Number(i) * 32 + 32),
            size,
            rootHash,
            (i, n) => source.inclusionProof(i, n),
          );
    const where =
      at === undefined
        ? `the entries do not hash to the checkpoint's root at tree size ${size}`
        : at.to - at.from === 1n
          ? `entry ${at.from} is not the leaf the checkpoint of size ${size} commits to`
          : `entries ${at.from} to ${at.to - 1n} are not the leaves the checkpoint of size ${size} commits to ` +
            "(the server's proofs do not say which)";
    fail(new VerificationError('TREE', `${origin}: ${where}`, at?.from, size));
  }
  return report({ checkpoint: vc, from, checked: range.size - from, range });
}

/** Origin, no shrinking, no fork at the same size. False when the pass cannot go on. */
function checkTrusted(
  _source: LogSource,
  trusted: AuditState,
  vc: VerifiedCheckpoint,
  fail: (e: VerificationError) => void,
): boolean {
  const { origin, size, rootHash } = vc.checkpoint;
  if (origin !== trusted.origin) {
    fail(
      new VerificationError('ORIGIN', `checkpoint origin ${origin} is not the trusted log ${trusted.origin}`),
    );
    return false;
  }
  if (size < trusted.size) {
    fail(
      new VerificationError(
        'ROLLBACK',
        `${origin}: the log shrank from trusted size ${trusted.size} to ${size}`,
        undefined,
        size,
      ),
    );
    return false;
  }
  if (size === trusted.size && !equal(rootHash, trusted.rootHash)) {
    fail(
      new VerificationError(
        'ROLLBACK',
        `${origin}: another root at the trusted size ${size}: the log forked`,
        undefined,
        size,
      ),
    );
    return false;
  }
  return true;
}

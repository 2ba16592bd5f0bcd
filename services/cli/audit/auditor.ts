// One audit pass over a log, in phases: fetch its latest checkpoint and check it against the policy;
// check that it extends the trusted one; fetch and check the entries while rebuilding the tree;
// compare the rebuilt root with the checkpoint's. Failures are collected with their location rather
// than thrown, so one pass reports everything it found, up to a cap. Saving the state that a clean
// pass earns is the caller's (see nextState in state.ts).
import { CompactRange, type Policy } from '../../../packages/tlog/index.js';
import { checkCheckpoint, type VerifiedCheckpoint } from '../verification/checkpoint-check.js';
import { VerificationError } from '../verification/errors.js';
import { type Fail, FailureList } from './failures.js';
import type { LogSource } from './log-source.js';
import { compareRoots } from './root-compare.js';
import type { SignaturePool } from './signature-pool.js';
import type { AuditState } from './state.js';
import { rebuildTree } from './tree-rebuild.js';
import { checkAgainstTrusted } from './trusted-check.js';

export { MAX_LOCATE_LEAVES } from './tree-rebuild.js';

/** Entries asked for per GetEntries call (the server may answer with fewer). */
export const DEFAULT_BATCH_SIZE = 1000;
/** GetEntries calls in flight at once, so the network and the workers overlap. */
export const DEFAULT_FETCH_CONCURRENCY = 4;
/** A pass stops collecting failures after this many (an attacker can make every leaf fail). */
export const DEFAULT_MAX_FAILURES = 100;

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

export async function auditOnce(
  source: LogSource,
  pool: SignaturePool,
  opts: AuditOptions,
): Promise<AuditReport> {
  const found = new FailureList(opts.maxFailures ?? DEFAULT_MAX_FAILURES);
  const report = (extra: Partial<AuditReport> = {}): AuditReport => ({
    from: 0n,
    checked: 0n,
    ...extra,
    failures: found.sorted(),
    truncated: found.truncated,
  });

  const vc = await fetchCheckpoint(source, opts.policy, found.fail);
  if (vc === undefined) return report();
  const { trusted } = opts;
  const resume = opts.resume === true && trusted !== undefined;
  if (trusted !== undefined && !(await checkAgainstTrusted(source, trusted, vc, resume, found.fail))) {
    return report({ checkpoint: vc });
  }
  const base = resume ? trusted.range : CompactRange.empty();
  const from = base.size;
  const rebuilt = await rebuildTree(
    source,
    pool,
    {
      origin: vc.checkpoint.origin,
      size: vc.checkpoint.size,
      base,
      ...(trusted !== undefined ? { trusted } : {}),
      batchSize: BigInt(opts.batchSize ?? DEFAULT_BATCH_SIZE),
      fetchConcurrency: opts.fetchConcurrency ?? DEFAULT_FETCH_CONCURRENCY,
      ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
    },
    found.fail,
  );
  const checked = rebuilt.range.size - from;
  if (!rebuilt.complete) return report({ checkpoint: vc, from, checked });
  await compareRoots(source, vc.checkpoint, rebuilt.range, rebuilt.leafHashes, found.fail);
  return report({ checkpoint: vc, from, checked, range: rebuilt.range });
}

/** The latest checkpoint, verified against the policy; undefined (and reported) when it fails. */
async function fetchCheckpoint(
  source: LogSource,
  policy: Policy,
  fail: Fail,
): Promise<VerifiedCheckpoint | undefined> {
  try {
    return checkCheckpoint(await source.checkpoint(), policy);
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    fail(err);
    return undefined;
  }
}

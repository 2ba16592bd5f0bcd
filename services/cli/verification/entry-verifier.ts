// Verifies the entries a read command shows (search, history, entries): each leaf's collector
// signature, its bodies' digests, and its inclusion in a checkpoint that satisfies the user's
// policy. The checkpoint is fetched and checked once and reused; each entry costs one inclusion
// proof, fetched a few at a time. The server's own leaf hash is ignored: it is recomputed here.
import { createHash } from 'node:crypto';
import { bodyRefsOfLeaf, type Change } from '../../../packages/change/index.js';
import type { Entry } from '../../../packages/proto/index.js';
import { leafHash, type Policy, type PublicKey } from '../../../packages/tlog/index.js';
import { checkCheckpoint, type VerifiedCheckpoint } from './checkpoint-check.js';
import { VerificationError } from './errors.js';
import { checkInclusion } from './evidence.js';
import { checkLeaf } from './leaf-check.js';

/** Inclusion proofs asked for at once: enough to hide round trips, few enough to be polite. */
export const PROOF_CONCURRENCY = 16;

/**
 * The verdict on one shown entry. `unverified` is not a failure: the entry is newer than the
 * latest checkpoint the ledger has published, so there is nothing yet to prove it against.
 */
export interface EntryVerdict {
  status: 'verified' | 'failed' | 'unverified';
  /** Why it failed or could not be verified (a VerificationError code and message). */
  reason?: string;
  code?: string;
  /** The verified change (only when verified). */
  change?: Change;
}

/** What the verifier needs from the ledger: the two calls it makes. */
export interface ProofSource {
  getCheckpoint(): Promise<{ note: string }>;
  getInclusionProof(
    index: bigint,
    treeSize: bigint,
  ): Promise<{ index: bigint; treeSize: bigint; hashes: Uint8Array[] }>;
}

export class EntryVerifier {
  private checkpoint: VerifiedCheckpoint | undefined;

  constructor(
    private readonly source: ProofSource,
    private readonly policy: Policy,
    private readonly collectorKeys: readonly PublicKey[],
  ) {}

  /**
   * Fetches and checks the latest checkpoint. A checkpoint that fails the policy throws
   * VerificationError: nothing the ledger shows can be verified against it.
   */
  async refresh(): Promise<VerifiedCheckpoint> {
    const { note } = await this.source.getCheckpoint();
    const cp = checkCheckpoint(note, this.policy);
    if (this.checkpoint === undefined || cp.checkpoint.size >= this.checkpoint.checkpoint.size) {
      this.checkpoint = cp;
    }
    return this.checkpoint;
  }

  /** The checkpoint verdicts are against (after the first refresh). */
  get current(): VerifiedCheckpoint | undefined {
    return this.checkpoint;
  }

  /** Verdicts for entries, in their order. Fetches a newer checkpoint once if one is beyond it. */
  async verify(entries: readonly Entry[]): Promise<EntryVerdict[]> {
    let cp = this.checkpoint ?? (await this.refresh());
    if (entries.some((e) => e.index >= cp.checkpoint.size)) cp = await this.refresh();
    const out: EntryVerdict[] = new Array(entries.length);
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const i = next++;
        out[i] = await this.one(entries[i] as Entry, cp);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PROOF_CONCURRENCY, entries.length) }, worker));
    return out;
  }

  private async one(e: Entry, cp: VerifiedCheckpoint): Promise<EntryVerdict> {
    const size = cp.checkpoint.size;
    try {
      const { change } = checkLeaf(e.leaf, this.collectorKeys, e.index);
      checkBodies(e);
      if (e.index >= size) {
        return {
          status: 'unverified',
          code: 'PENDING',
          reason: `entry ${e.index} is newer than the latest checkpoint (tree size ${size})`,
        };
      }
      const proof = await this.source.getInclusionProof(e.index, size);
      if (proof.index !== e.index || proof.treeSize !== size) {
        throw new VerificationError(
          'INCLUSION',
          `the ledger proved entry ${proof.index} in size ${proof.treeSize}, not ${e.index} in ${size}`,
          e.index,
          size,
        );
      }
      checkInclusion(e.index, size, leafHash(e.leaf), proof.hashes, cp.checkpoint.rootHash);
      return { status: 'verified', change };
    } catch (err) {
      if (!(err instanceof VerificationError)) throw err;
      return { status: 'failed', code: err.code, reason: `${err.code}: ${err.message}` };
    }
  }
}

/** Every body the leaf refers to is served, and every served body has the digest it is filed under. */
function checkBodies(e: Entry): void {
  const served = new Map<string, Uint8Array>();
  for (const b of e.bodies) {
    const digest = createHash('sha256').update(b.data).digest('hex');
    if (digest !== b.sha256) {
      throw new VerificationError(
        'ENTRY',
        `entry ${e.index}: a body filed as ${b.sha256} has digest ${digest}`,
        e.index,
      );
    }
    served.set(b.sha256, b.data);
  }
  for (const ref of bodyRefsOfLeaf(e.leaf)) {
    const data = served.get(ref.sha256);
    if (data === undefined || data.length !== ref.size) {
      throw new VerificationError(
        'ENTRY',
        `entry ${e.index}: body ${ref.sha256} is missing or of another size`,
        e.index,
      );
    }
  }
}

/** The `verification` field of a JSON line. */
export function verdictJson(v: EntryVerdict): { status: EntryVerdict['status']; reason?: string } {
  return v.reason === undefined ? { status: v.status } : { status: v.status, reason: v.reason };
}

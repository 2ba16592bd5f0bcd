// What the browser checks before it marks an entry verified (DESIGN 12), on packages/tlog and
// packages/change alone: no DOM, no Node, so the same code runs in the console and in its tests.
//
// The server sends the policy and the collector keys, but nothing it sends about an entry is taken
// on trust: the checkpoint must be signed by the policy's log key and cosigned per its quorum, the
// leaf hash is computed here from the leaf bytes, the inclusion proof must lead from it to the
// checkpoint's root, and the leaf must be signed by the collector key of its own cluster.
// Everything here is pure and synchronous; the caller decides how to spread the work over frames.
import { type Change, openLeaf } from '../../../packages/change/index.js';
import {
  type Checkpoint,
  decodeBase64,
  getCrypto,
  leafHash,
  type Policy,
  type PublicKey,
  parsePolicy,
  parseVkey,
  verifyCheckpointNote,
  verifyInclusion,
} from '../../../packages/tlog/index.js';
import type { CheckpointJson, EntryJson, TrustJson } from './entry-json.js';

export interface Trust {
  policy: Policy;
  collectorKeys: PublicKey[];
}

export type Verdict =
  | { status: 'verified'; change: Change; signer: string }
  | { status: 'failed'; reason: string; change?: Change };

export type CheckpointVerdict =
  | { status: 'verified'; checkpoint: Checkpoint; cosigners: string[] }
  | { status: 'failed'; reason: string };

const reasonOf = (err: unknown) => {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? `${e.code}: ` : '';
  return `${code}${typeof e.message === 'string' ? e.message : String(err)}`;
};

/** Parses what the server says to trust. Throws on a malformed policy or key. */
export function trustOf(t: TrustJson): Trust {
  return { policy: parsePolicy(t.policy), collectorKeys: t.collectorVkeys.map((k) => parseVkey(k)) };
}

/** The checkpoint's log signature and witness quorum under the policy, and its claimed size. */
export function verifyCheckpoint(c: CheckpointJson, trust: Trust): CheckpointVerdict {
  try {
    const { checkpoint, cosigners } = verifyCheckpointNote(c.note, trust.policy);
    if (checkpoint.size.toString() !== c.size)
      return {
        status: 'failed',
        reason: `checkpoint size ${checkpoint.size} is not the size served (${c.size})`,
      };
    return { status: 'verified', checkpoint, cosigners };
  } catch (err) {
    return { status: 'failed', reason: `checkpoint: ${reasonOf(err)}` };
  }
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * One entry: collector signature (and the change's form), inclusion of the leaf computed here in
 * the verified checkpoint, and the digest of every body served beside the leaf.
 */
export function verifyEntry(e: EntryJson, cp: CheckpointVerdict, trust: Trust): Verdict {
  let change: Change | undefined;
  try {
    const leaf = decodeBase64(e.leaf);
    const opened = openLeaf(leaf, trust.collectorKeys);
    change = opened.change;
    if (cp.status !== 'verified') return { status: 'failed', reason: cp.reason, change };
    if (!/^(0|[1-9][0-9]{0,19})$/.test(e.index))
      return { status: 'failed', reason: 'malformed index', change };
    const proof = e.proof.map((h) => decodeBase64(h));
    verifyInclusion(BigInt(e.index), cp.checkpoint.size, leafHash(leaf), proof, cp.checkpoint.rootHash);
    for (const b of e.bodies) {
      if (hex(getCrypto().sha256(decodeBase64(b.data))) !== b.sha256)
        return {
          status: 'failed',
          reason: `body ${b.sha256.slice(0, 12)}… does not match its digest`,
          change,
        };
    }
    const keyId = opened.key.keyId.toString(16).padStart(8, '0');
    return { status: 'verified', change, signer: `${opened.key.name}+${keyId}` };
  } catch (err) {
    return change === undefined
      ? { status: 'failed', reason: `leaf: ${reasonOf(err)}` }
      : { status: 'failed', reason: `inclusion: ${reasonOf(err)}`, change };
  }
}

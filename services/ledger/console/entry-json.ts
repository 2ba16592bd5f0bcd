// The JSON the console's API answers with. Bytes are standard padded base64, indexes and sizes
// decimal strings (a bigint does not survive JSON.parse). Each entry carries its own inclusion
// proof against the checkpoint sent beside it, so the browser checks it without another request.
import { encodeBase64 } from '../../../packages/tlog/index.js';
import type { PublishedCheckpoint } from '../checkpointer.js';

export interface FindingJson {
  rule: string;
  severity: string;
  message: string;
  path: string;
}

export interface EntryJson {
  index: string;
  /** The leaf exactly as stored: the browser hashes it itself. */
  leaf: string;
  bodies: { sha256: string; data: string }[];
  findings: FindingJson[];
  /** The inclusion proof of `index` in the tree of the answer's checkpoint. */
  proof: string[];
}

export interface CheckpointJson {
  note: string;
  size: string;
}

export interface DiffOpJson {
  op: string;
  path: string;
  from?: string;
  to?: string;
}

export interface TrustJson {
  origin: string;
  logVkey: string;
  /** The tlog-policy the ledger publishes checkpoints under, without witness URLs. */
  policy: string;
  collectorVkeys: string[];
}

export interface EntriesJson {
  checkpoint: CheckpointJson;
  entries: EntryJson[];
  next?: string;
}

export interface HistoryJson {
  checkpoint: CheckpointJson;
  versions: (EntryJson & { diff: DiffOpJson[] })[];
}

export function checkpointJson(c: PublishedCheckpoint): CheckpointJson {
  return { note: c.note, size: c.size.toString() };
}

export function entryJson(
  e: { index: bigint; leaf: Uint8Array; bodies: readonly { sha256: string; data: Uint8Array }[] },
  findings: readonly { rule: string; severity: string; message: string; path: string }[],
  proof: readonly Uint8Array[],
): EntryJson {
  return {
    index: e.index.toString(),
    leaf: encodeBase64(e.leaf),
    bodies: e.bodies.map((b) => ({ sha256: b.sha256, data: encodeBase64(b.data) })),
    findings: findings.map((f) => ({ rule: f.rule, severity: f.severity, message: f.message, path: f.path })),
    proof: proof.map((h) => encodeBase64(h)),
  };
}

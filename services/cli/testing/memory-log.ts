// Test support: a complete transparency log in memory, built only from packages/tlog, so the CLI's
// verification can be tested against real signatures, proofs and cosignatures (and against
// deliberately broken ones) before and independently of the real ledger.
import { type Change, canonicalJson } from '../../../packages/change/index.js';
import {
  CompactRange,
  consistencyProof,
  cosignatureVkey,
  cosignCheckpoint,
  formatCheckpoint,
  formatNote,
  formatTlogProof,
  inclusionProof,
  leafHash,
  mergeSignatures,
  type PrivateKey,
  parseNote,
  rootAt,
  signNote,
  TlogError,
} from '../../../packages/tlog/index.js';

export interface MemoryLogOptions {
  origin: string;
  logKey: PrivateKey;
  witnesses: readonly { name: string; key: PrivateKey }[];
  /** Cosignature time (unix seconds). */
  now?: () => bigint;
}

export class MemoryLog {
  readonly leaves: Uint8Array[] = [];
  private readonly nodes = new Map<string, Uint8Array>();
  private range = CompactRange.empty();

  constructor(readonly opts: MemoryLogOptions) {}

  get size(): bigint {
    return this.range.size;
  }

  append(leaf: Uint8Array): bigint {
    const index = this.range.size;
    this.leaves.push(leaf);
    this.range = this.range.append(leafHash(leaf), (level, i, hash) => this.nodes.set(`${level}/${i}`, hash));
    return index;
  }

  readonly read = (level: number, index: bigint): Uint8Array => {
    const h = this.nodes.get(`${level}/${index}`);
    if (h === undefined) throw new TlogError('MISSING_NODE', `no node ${level}/${index}`);
    return h;
  };

  root(size = this.size): Uint8Array {
    return rootAt(size, this.read);
  }

  /** The checkpoint text (body) of a size. */
  checkpointText(size = this.size): string {
    return formatCheckpoint({ origin: this.opts.origin, size, rootHash: this.root(size), extensions: [] });
  }

  /** The checkpoint note signed by the log and cosigned by the given witnesses (default all). */
  checkpoint(size = this.size, witnesses = this.opts.witnesses): string {
    const text = this.checkpointText(size);
    const signed = signNote(text, this.opts.logKey);
    const time = this.opts.now?.() ?? BigInt(Math.floor(Date.now() / 1000));
    const lines = witnesses.map((w) => cosignCheckpoint(text, w.key, time));
    return formatNote(mergeSignatures(parseNote(signed), lines));
  }

  inclusionProof(index: bigint, size = this.size): Uint8Array[] {
    return inclusionProof(index, size, this.read);
  }

  consistencyProof(from: bigint, to = this.size): Uint8Array[] {
    return consistencyProof(from, to, this.read);
  }

  tlogProof(index: bigint, note = this.checkpoint()): string {
    const size = BigInt(note.split('\n')[1] ?? '0');
    return formatTlogProof({ index, hashes: this.inclusionProof(index, size), checkpoint: note });
  }

  /** A tlog-policy trusting this log and requiring every witness (quorum none without witnesses). */
  policy(): string {
    const lines = [`log ${this.opts.logKey.vkey}`];
    for (const w of this.opts.witnesses) lines.push(`witness ${w.name} ${cosignatureVkey(w.key)}`);
    if (this.opts.witnesses.length === 0) lines.push('quorum none');
    else if (this.opts.witnesses.length === 1) lines.push(`quorum ${this.opts.witnesses[0]?.name}`);
    else {
      lines.push(`group all-witnesses all ${this.opts.witnesses.map((w) => w.name).join(' ')}`);
      lines.push('quorum all-witnesses');
    }
    return `${lines.join('\n')}\n`;
  }
}

/** A valid change of schema ingress-ledger.change/v1, varied by i. */
export function sampleChange(i: number, cluster = 'prod'): Change {
  const t = new Date(Date.UTC(2026, 0, 1, 12, 0, 0) + i * 1000).toISOString().replace('Z', '000Z');
  const name = `web-${i % 7}`;
  return {
    schema: 'ingress-ledger.change/v1',
    cluster,
    auditID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    verb: i % 3 === 0 ? 'create' : 'patch',
    action: i % 3 === 0 ? 'create' : 'update',
    object: {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'ingresses',
      namespace: 'shop',
      name,
      uid: `uid-${i % 7}`,
      resourceVersion: String(1000 + i),
    },
    user: {
      username: i % 5 === 0 ? 'alice@example.com' : 'system:serviceaccount:ci:deployer',
      groups: ['dev'],
    },
    sourceIPs: ['10.0.0.7'],
    userAgent: 'kubectl/v1.31.0',
    requestReceivedTimestamp: t,
    stageTimestamp: t,
    responseCode: i % 3 === 0 ? 201 : 200,
    reason: i % 2 === 0 ? `release ${i}` : null,
    request: { metadata: { name, annotations: { 'ingress-ledger.dev/reason': `release ${i}` } } },
    response: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: 'shop' },
      spec: { rules: [{ host: `${name}.example.com` }] },
    },
    source: 'audit-webhook',
    observedAt: t,
  };
}

/** Signs a change as a leaf exactly as DESIGN 3.2 says, without the collector's code. */
export function signLeaf(change: unknown, key: PrivateKey): Uint8Array {
  return new TextEncoder().encode(signNote(`${canonicalJson(change)}\n`, key));
}

// Test support: a Ledger gRPC server (through packages/rpc) that serves a MemoryLog, with hooks to
// make it lie the ways a compromised ledger would: altered leaves, another checkpoint, bad proofs.
import * as grpc from '@grpc/grpc-js';
import { Ledger } from '../../../packages/proto/index.js';
import { addService, listen, RpcError } from '../../../packages/rpc/index.js';
import { leafHash, parseNote } from '../../../packages/tlog/index.js';
import type { MemoryLog } from './memory-log.js';

export interface Lies {
  /** Served instead of the stored leaf at an index (with the matching leaf hash). */
  leaves?: Map<bigint, Uint8Array>;
  /** Served instead of the real checkpoint note. */
  checkpoint?: string;
  /** Served instead of a real consistency proof. */
  consistency?: Uint8Array[];
  /** Most entries per GetEntries answer (to exercise short answers). */
  maxEntries?: number;
  /** GetEntries answers no entries at all from this index on (a server that fails its checkpoint). */
  noEntriesFrom?: bigint;
}

export interface MemoryLedger {
  address: string;
  lies: Lies;
  /** The published tree size (what checkpoints are served for); defaults to the log's size. */
  publish(size?: bigint): void;
  close(): Promise<void>;
}

const changeOf = (leaf: Uint8Array): Record<string, unknown> => {
  try {
    return JSON.parse(parseNote(leaf).text) as Record<string, unknown>;
  } catch {
    return {};
  }
};

/** The findings the fake search reports: host-exposed on every 4th entry, tls-removed on every 6th. */
export function findingsAt(i: bigint) {
  const out = [];
  if (i % 4n === 0n) {
    out.push({
      rule: 'host-exposed',
      severity: 'medium',
      message: 'serves a new host',
      path: '/spec/rules/0/host',
    });
  }
  if (i % 6n === 0n)
    out.push({ rule: 'tls-removed', severity: 'high', message: 'drops TLS', path: '/spec/tls' });
  return out;
}

export async function startMemoryLedger(log: MemoryLog): Promise<MemoryLedger> {
  const lies: Lies = {};
  let published = log.size;
  const leafAt = (i: bigint) => lies.leaves?.get(i) ?? (log.leaves[Number(i)] as Uint8Array);
  const entry = (i: bigint) => {
    const leaf = leafAt(i);
    return { index: i, leaf, leafHash: leafHash(leaf), bodies: [] };
  };
  const sizeOr = (n: bigint) => (n === 0n ? published : n);
  const server = new grpc.Server();
  addService(server, Ledger, {
    getCheckpoint: async () => {
      const note = lies.checkpoint ?? log.checkpoint(published);
      return { note, origin: log.origin, size: published, rootHash: log.root(published) };
    },
    getInclusionProof: async (req) => {
      const size = sizeOr(req.treeSize);
      if (size > published)
        throw new RpcError(grpc.status.OUT_OF_RANGE, 'tree size beyond the published log');
      if (req.leaf.case !== 'index') throw new RpcError(grpc.status.INVALID_ARGUMENT, 'index only');
      if (req.leaf.value >= size) throw new RpcError(grpc.status.OUT_OF_RANGE, 'index beyond the tree');
      return { index: req.leaf.value, treeSize: size, hashes: log.inclusionProof(req.leaf.value, size) };
    },
    getConsistencyProof: async (req) => {
      const to = sizeOr(req.toSize);
      if (req.fromSize === 0n || req.fromSize > to)
        throw new RpcError(grpc.status.INVALID_ARGUMENT, 'bad sizes');
      if (to > published) throw new RpcError(grpc.status.OUT_OF_RANGE, 'beyond the published log');
      return {
        fromSize: req.fromSize,
        toSize: to,
        hashes: lies.consistency ?? log.consistencyProof(req.fromSize, to),
      };
    },
    getEntries: async (req) => {
      if (req.start >= req.end) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'start >= end');
      if (req.start >= published) throw new RpcError(grpc.status.OUT_OF_RANGE, 'start beyond the log');
      const cap = BigInt(lies.maxEntries ?? 1000);
      // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min does not take
      let end = req.end < published ? req.end : published;
      if (end - req.start > cap) end = req.start + cap;
      if (lies.noEntriesFrom !== undefined && end > lies.noEntriesFrom) {
        // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
        end = req.start < lies.noEntriesFrom ? lies.noEntriesFrom : req.start;
      }
      const entries = [];
      for (let i = req.start; i < end; i++) entries.push(entry(i));
      return { entries };
    },
    searchEntries: async (req) => {
      const results = [];
      const pageSize = req.pageSize === 0 ? 100 : req.pageSize;
      let i = req.pageToken === '' ? published - 1n : BigInt(req.pageToken);
      for (; i >= 0n && results.length < pageSize; i--) {
        const c = changeOf(leafAt(i)) as {
          cluster?: string;
          user?: { username?: string };
          object?: { name?: string; namespace?: string };
        };
        if (req.cluster !== '' && c.cluster !== req.cluster) continue;
        if (req.user !== '' && c.user?.username !== req.user) continue;
        if (req.name !== '' && c.object?.name !== req.name) continue;
        if (req.namespace !== '' && c.object?.namespace !== req.namespace) continue;
        const findings = findingsAt(i);
        if (req.risk !== '' && !findings.some((f) => f.rule === req.risk)) continue;
        results.push({ entry: entry(i), findings });
      }
      return { results, nextPageToken: i >= 0n ? i.toString() : '' };
    },
    getObjectHistory: async (req) => {
      const versions = [];
      for (let i = 0n; i < published; i++) {
        const c = changeOf(leafAt(i)) as { object?: { name?: string; namespace?: string } };
        if (c.object?.name !== req.name || c.object?.namespace !== req.namespace) continue;
        versions.push({
          entry: entry(i),
          findings: [],
          diff: [{ op: 'replace', path: '/metadata/resourceVersion', from: '"1"', to: '"2"' }],
        });
      }
      return { versions };
    },
    watchEntries: async function* (req) {
      for (let i = req.fromIndex; i < published; i++) yield entry(i);
    },
    watchCheckpoints: async function* () {
      yield {
        note: log.checkpoint(published),
        origin: log.origin,
        size: published,
        rootHash: log.root(published),
      };
    },
  });
  const port = await listen(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure());
  return {
    address: `127.0.0.1:${port}`,
    lies,
    publish: (size = log.size) => {
      published = size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}

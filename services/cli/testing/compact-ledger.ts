// Test support for large logs: a Ledger gRPC server over compact storage (every leaf back to back in
// one buffer, an offsets table and a table of leaf hashes computed once), so serving a million
// entries holds three buffers instead of a million leaf buffers and a node map, and answers
// GetEntries with views into them. Serves only what a full audit asks for: the checkpoint at the
// full size and entries. Honest only (no lies; the attack tests use MemoryLedger).
import * as grpc from '@grpc/grpc-js';
import { Ledger } from '../../../packages/proto/index.js';
import { addService, listen, RpcError } from '../../../packages/rpc/index.js';
import {
  CompactRange,
  formatCheckpoint,
  HASH_SIZE,
  leafHash,
  type PrivateKey,
} from '../../../packages/tlog/index.js';
import { cosignedCheckpoint } from '../../../packages/tlog/testing.js';

/** A log appended into one growing buffer; the tree is kept as a compact range only. */
export class CompactLog {
  private data = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private offsets = new Float64Array(1024);
  private hashes = Buffer.allocUnsafe(1024 * HASH_SIZE);
  private range = CompactRange.empty();

  constructor(
    readonly origin: string,
    readonly logKey: PrivateKey,
    readonly witnesses: readonly { name: string; key: PrivateKey }[],
  ) {}

  get size(): number {
    return Number(this.range.size);
  }

  get bytes(): number {
    return this.used;
  }

  append(leaf: Uint8Array): void {
    const n = this.size;
    if (this.used + leaf.length > this.data.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.used + leaf.length));
      this.data.copy(grown, 0, 0, this.used);
      this.data = grown;
    }
    if (n + 2 > this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
      const h = Buffer.allocUnsafe(this.offsets.length * HASH_SIZE);
      this.hashes.copy(h, 0, 0, n * HASH_SIZE);
      this.hashes = h;
    }
    this.data.set(leaf, this.used);
    this.used += leaf.length;
    this.offsets[n + 1] = this.used;
    const h = leafHash(leaf);
    this.hashes.set(h, n * HASH_SIZE);
    this.range = this.range.append(h);
  }

  leaf(i: number): Uint8Array {
    return this.data.subarray(this.offsets[i], this.offsets[i + 1]);
  }

  leafHash(i: number): Uint8Array {
    return this.hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }

  root(): Uint8Array {
    return this.range.root();
  }

  /** The checkpoint note of the whole log, signed by the log and cosigned by every witness. */
  checkpoint(): string {
    const text = formatCheckpoint({
      origin: this.origin,
      size: this.range.size,
      rootHash: this.range.root(),
      extensions: [],
    });
    return cosignedCheckpoint(text, this.logKey, this.witnesses, BigInt(Math.floor(Date.now() / 1000)));
  }
}

export interface CompactLedger {
  address: string;
  close(): Promise<void>;
}

/** One GetEntries answer of honest entries, encoded; undefined leaves it to protobuf-es. */
export type EntriesEncoder = (
  entries: { index: bigint; leaf: Uint8Array; leafHash: Uint8Array; bodies: never[] }[],
) => Uint8Array | undefined;

/**
 * Serves a CompactLog (GetCheckpoint and GetEntries, at most 1,000 entries per answer). A benchmark
 * passes the ledger's own GetEntries encoder, so serving costs what a real ledger's does.
 */
export async function startCompactLedger(log: CompactLog, encode?: EntriesEncoder): Promise<CompactLedger> {
  const size = BigInt(log.size);
  const note = log.checkpoint();
  const rootHash = log.root();
  const unimplemented = async (): Promise<never> => {
    throw new RpcError(grpc.status.UNIMPLEMENTED, 'not served by the compact benchmark ledger');
  };
  const server = new grpc.Server();
  addService(server, Ledger, {
    getCheckpoint: async () => ({
      note,
      origin: log.origin,
      size,
      rootHash,
    }),
    getEntries: async (req) => {
      if (req.start >= req.end) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'start >= end');
      if (req.start >= size) throw new RpcError(grpc.status.OUT_OF_RANGE, 'start beyond the log');
      const start = Number(req.start);
      const end = Math.min(Number(req.end < size ? req.end : size), start + 1000);
      const entries: Parameters<EntriesEncoder>[0] = [];
      for (let i = start; i < end; i++) {
        entries.push({ index: BigInt(i), leaf: log.leaf(i), leafHash: log.leafHash(i), bodies: [] });
      }
      return encode?.(entries) ?? { entries };
    },
    getInclusionProof: unimplemented,
    getConsistencyProof: unimplemented,
    searchEntries: unimplemented,
    getObjectHistory: unimplemented,
    watchEntries: async function* () {
      yield* [];
      throw new RpcError(grpc.status.UNIMPLEMENTED, 'not served by the compact benchmark ledger');
    },
    watchCheckpoints: async function* () {
      yield* [];
      throw new RpcError(grpc.status.UNIMPLEMENTED, 'not served by the compact benchmark ledger');
    },
  });
  const port = await listen(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure());
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}

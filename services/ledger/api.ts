// The Ledger gRPC service (DESIGN 5). Each handler: validate (request-validation.ts) → cap at the
// latest published checkpoint → read stored hashes → respond. Reads share the writer's connection:
// better-sqlite3 is synchronous, so a handler sees a committed state between two batches.

import { bodyRefsOfLeaf } from '../../packages/change/index.js';
import type { Checkpointer, PublishedCheckpoint } from './checkpointer.js';
import type { LedgerImpl } from './encoded-answer.js';
import { type EntryFields, encodeEntries } from './get-entries-response-fast.js';
import { encodeInclusionProof } from './inclusion-proof-fast.js';
import {
  checkConsistencyRequest,
  checkEntriesRequest,
  checkedSearch,
  checkInclusionRequest,
  checkWatchFrom,
  noCheckpoint,
  notFound,
  searchDisabled,
} from './request-validation.js';
import type { SearchIndex } from './search/index.js';
import type { LogStore } from './store.js';

/** A GetEntries answer stops growing past this many bytes (gRPC clients accept 4 MiB by default). */
export const MAX_ENTRIES_RESPONSE_BYTES = 3 * 1024 * 1024;
/** Entries a watcher reads from the store per step. */
const WATCH_CHUNK = 256n;

export interface ApiDeps {
  store: LogStore;
  checkpointer: Checkpointer;
  search: SearchIndex | undefined;
  /** Aborts when the ledger closes, ending every stream. */
  closing: AbortSignal;
}

function toCheckpoint(c: PublishedCheckpoint) {
  return { note: c.note, origin: c.origin, size: c.size, rootHash: c.rootHash };
}

/** Resolves on the next published checkpoint, or when either signal aborts. */
function nextCheckpoint(cp: Checkpointer, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      unsubscribe();
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    const unsubscribe = cp.subscribe(done);
    for (const s of signals) {
      if (s.aborted) return done();
      s.addEventListener('abort', done, { once: true });
    }
  });
}

export function ledgerService(d: ApiDeps): LedgerImpl {
  const { store, checkpointer, search } = d;
  const published = (): PublishedCheckpoint => {
    const c = checkpointer.published;
    if (c === undefined) throw noCheckpoint();
    return c;
  };

  const entry = (idx: bigint, leaf: Uint8Array, leafHash: Uint8Array): EntryFields => {
    const bodies: { sha256: string; data: Uint8Array }[] = [];
    for (const ref of bodyRefsOfLeaf(leaf)) {
      const data = store.body(ref.sha256);
      if (data !== undefined) bodies.push({ sha256: ref.sha256, data });
    }
    return { index: idx, leaf, leafHash, bodies };
  };

  const entryAt = (idx: bigint): EntryFields => {
    const row = store.entries(idx, idx + 1n)[0];
    if (row === undefined) throw notFound('index', `${idx} is not in the log`);
    return entry(row.idx, row.leaf, row.leaf_hash);
  };

  return {
    async getCheckpoint() {
      return toCheckpoint(published());
    },

    async getInclusionProof(req) {
      const t = checkInclusionRequest(req, published().size);
      let index: bigint;
      if ('index' in t) index = t.index;
      else {
        const found = store.indexOfLeafHash(t.leafHash);
        if (found === undefined || found >= t.size) throw notFound('leaf_hash', 'no such leaf in the tree');
        index = found;
      }
      return encodeInclusionProof(index, t.size, store.inclusionProof(index, t.size));
    },

    async getConsistencyProof(req) {
      const { from, to } = checkConsistencyRequest(req, published().size);
      return { fromSize: from, toSize: to, hashes: store.consistencyProof(from, to) };
    },

    async getEntries(req) {
      const { start, end } = checkEntriesRequest(req, published().size);
      const entries: EntryFields[] = [];
      let bytes = 0;
      for (const row of store.entries(start, end)) {
        if (entries.length > 0 && bytes + row.leaf.length > MAX_ENTRIES_RESPONSE_BYTES) break;
        const e = entry(row.idx, row.leaf, row.leaf_hash);
        bytes += row.leaf.length + e.bodies.reduce((n, b) => n + b.data.length, 0);
        entries.push(e);
      }
      return encodeEntries(entries) ?? { entries };
    },

    async searchEntries(req) {
      if (search === undefined) throw searchDisabled();
      const size = published().size;
      const page = checkedSearch(() => search.search(req, size));
      return {
        results: page.results.map((r) => ({ entry: entryAt(r.index), findings: r.findings })),
        nextPageToken: page.nextPageToken,
      };
    },

    async getObjectHistory(req) {
      if (search === undefined) throw searchDisabled();
      const size = published().size;
      const { versions } = checkedSearch(() => search.history(req, size));
      return {
        versions: versions.map((v) => ({
          entry: entryAt(v.index),
          findings: v.findings,
          diff: v.diff.map((op) => ({ op: op.op, path: op.path, from: op.from ?? '', to: op.to ?? '' })),
        })),
      };
    },

    async *watchEntries(req, ctx) {
      let next = checkWatchFrom(req.fromIndex);
      while (!ctx.signal.aborted && !d.closing.aborted) {
        const size = checkpointer.published?.size ?? 0n;
        if (next >= size) {
          await nextCheckpoint(checkpointer, [ctx.signal, d.closing]);
          continue;
        }
        const end = size - next > WATCH_CHUNK ? next + WATCH_CHUNK : size;
        for (const row of store.entries(next, end)) yield entry(row.idx, row.leaf, row.leaf_hash);
        next = end;
      }
    },

    async *watchCheckpoints(_req, ctx) {
      let last: PublishedCheckpoint | undefined;
      while (!ctx.signal.aborted && !d.closing.aborted) {
        const c = checkpointer.published;
        if (c !== undefined && c !== last) {
          last = c;
          yield toCheckpoint(c);
          continue; // another may have been published while the client read this one
        }
        await nextCheckpoint(checkpointer, [ctx.signal, d.closing]);
      }
    },
  };
}

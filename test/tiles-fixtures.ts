// Fixtures for the static tiles tests: a ledger store of signed changes written straight through
// LogStore (as loadtest/lib/build-store.ts does, but with real collector signatures, so audits
// pass), some with a request body kept outside the leaf.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../packages/change/index.js';
import { leafHash, type PrivateKey } from '../packages/tlog/index.js';
import { type AppendItem, LogStore } from '../services/ledger/store.js';
import { makeChange, signChange } from './ledger-fixtures.js';

export interface BuiltLog {
  /** Every leaf hash, in order. */
  leafHashes: Uint8Array[];
  /** The bodies kept outside their leaves, by hex digest. */
  bodies: Map<string, Uint8Array>;
}

/** The body of entry i when `withBody(i)`: canonical JSON, digest and size as DESIGN 3.2 says. */
function bodyOf(i: number): { sha256: string; data: Uint8Array } {
  const data = new TextEncoder().encode(canonicalJson({ spec: { big: `body-${i}` } }));
  return { sha256: createHash('sha256').update(data).digest('hex'), data };
}

/** Appends `count` signed changes of `cluster` (in batches), from index `first` on. */
export function appendSignedChanges(
  store: LogStore,
  collector: PrivateKey,
  cluster: string,
  count: number,
  o: { first?: number; withBody?: (i: number) => boolean; built?: BuiltLog } = {},
): BuiltLog {
  const built: BuiltLog = o.built ?? { leafHashes: [], bodies: new Map() };
  const first = o.first ?? 0;
  for (let at = first; at < first + count; at += 5000) {
    const items: AppendItem[] = [];
    for (let i = at; i < Math.min(first + count, at + 5000); i++) {
      const change = makeChange(cluster, `a${String(i).padStart(9, '0')}`);
      const bodies = new Map<string, Uint8Array>();
      if (o.withBody?.(i) === true) {
        const b = bodyOf(i);
        change.request = { sha256: b.sha256, size: b.data.length };
        bodies.set(b.sha256, b.data);
        built.bodies.set(b.sha256, b.data);
      }
      const leaf = signChange(change, collector);
      const hash = leafHash(leaf);
      built.leafHashes.push(hash);
      items.push({ leaf, leafHash: hash, identity: `${cluster}/${change.auditID}`, bodies });
    }
    store.append(items);
  }
  return built;
}

/** A data dir holding a store of `count` signed changes; the store is closed again. */
export function buildSignedStore(
  dataDir: string,
  collector: PrivateKey,
  cluster: string,
  count: number,
  withBody?: (i: number) => boolean,
): BuiltLog {
  const store = new LogStore(dataDir);
  try {
    return appendSignedChanges(store, collector, cluster, count, withBody !== undefined ? { withBody } : {});
  } finally {
    store.close();
  }
}

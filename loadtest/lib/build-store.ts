// A ledger store of `entries` leaves of about `leafBytes` each, appended straight through LogStore in
// batches of 10,000 (no NATS, no signatures checked): the starting point of benchmarks that need a
// large log on disk. Returns the leaf bytes written and the seconds it took.
import { leafHash } from '../../packages/tlog/index.js';
import { type AppendItem, LogStore } from '../../services/ledger/store.js';
import { makeChange } from '../../test/ledger-fixtures.js';

export function buildStore(
  dataDir: string,
  entries: number,
  leafBytes: number,
): { leafBytes: number; seconds: number } {
  const store = new LogStore(dataDir);
  const template = new TextEncoder().encode(
    JSON.stringify(makeChange('c1', 'x', leafBytes)).slice(0, leafBytes),
  );
  let written = 0;
  const start = performance.now();
  for (let at = 0; at < entries; at += 10_000) {
    const items: AppendItem[] = [];
    for (let i = at; i < Math.min(entries, at + 10_000); i++) {
      const leaf = template.slice();
      leaf.set(new TextEncoder().encode(String(i).padStart(10, '0')), 0);
      written += leaf.length;
      items.push({ leaf, leafHash: leafHash(leaf), identity: `c1/p${i}`, bodies: new Map() });
    }
    store.append(items);
  }
  store.close();
  return { leafBytes: written, seconds: (performance.now() - start) / 1000 };
}

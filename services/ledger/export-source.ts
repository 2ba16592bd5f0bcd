// The ledger's own log read as a tlog-tiles layout, for its continuous export: the latest published
// checkpoint, hash tiles from the stored nodes, entry bundles and bodies. Like the HTTP read path
// it shows nothing past the published checkpoint; a partial tile narrower than the published
// width (asked for by a step that began before a newer publish) is the prefix it was.
import { bodyKey, CHECKPOINT_KEY, type LayoutReader } from '../../packages/export/index.js';
import {
  encodeEntryBundle,
  HASH_SIZE,
  parseTilePath,
  readTile,
  TILE_WIDTH,
  tileWidth,
} from '../../packages/tlog/index.js';
import type { LogStore } from './store.js';

const BODIES_PREFIX = 'bodies/';

export function storeLayout(store: LogStore): LayoutReader {
  const fit = (bytes: Uint8Array | undefined, max: number) =>
    bytes !== undefined && bytes.length <= max ? bytes : undefined;
  return {
    describe: 'the ledger',
    async read(key, max) {
      const published = store.lastPublished();
      if (published === undefined) return undefined;
      if (key === CHECKPOINT_KEY) return fit(new TextEncoder().encode(published.note), max);
      if (key.startsWith(BODIES_PREFIX)) {
        const sha = key.slice(BODIES_PREFIX.length);
        if (bodyKey(sha) !== key) return undefined;
        return fit(store.body(sha), max);
      }
      let p: ReturnType<typeof parseTilePath>;
      try {
        p = parseTilePath(key);
      } catch {
        return undefined;
      }
      const level = p.kind === 'hashes' ? p.level : 0;
      const available = tileWidth(level, p.index, published.size);
      if (p.width > available) return undefined;
      if (p.kind === 'entries') {
        const first = p.index * BigInt(TILE_WIDTH);
        const rows = store.entries(first, first + BigInt(p.width));
        return fit(encodeEntryBundle(rows.map((r) => r.leaf)), max);
      }
      const tile = readTile(p.level, p.index, published.size, store.readNode);
      return fit(tile.subarray(0, p.width * HASH_SIZE), max);
    },
  };
}

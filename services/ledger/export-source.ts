// The ledger's own log read as a tlog-tiles layout, for its continuous export: the latest published
// checkpoint, and tiles, bundles and bodies through the same TileReader the HTTP read path uses
// (tile-reader.ts: from the stored nodes, nothing past the published size, full tiles cached).
import { bodyKey, CHECKPOINT_KEY, type LayoutReader } from '../../packages/export/index.js';
import { parseTilePath } from '../../packages/tlog/index.js';
import type { PublishedCheckpoint } from './checkpointer.js';
import type { TileReader } from './tile-reader.js';

const BODIES_PREFIX = 'bodies/';

export function storeLayout(
  reader: TileReader,
  published: () => PublishedCheckpoint | undefined,
): LayoutReader {
  const fit = (bytes: Uint8Array | undefined, max: number) =>
    bytes !== undefined && bytes.length <= max ? bytes : undefined;
  return {
    describe: 'the ledger',
    async read(key, max) {
      const p = published();
      if (p === undefined) return undefined;
      if (key === CHECKPOINT_KEY) return fit(new TextEncoder().encode(p.note), max);
      if (key.startsWith(BODIES_PREFIX)) {
        const sha = key.slice(BODIES_PREFIX.length);
        if (bodyKey(sha) !== key) return undefined;
        return fit(reader.body(sha, p.size)?.bytes, max);
      }
      let t: ReturnType<typeof parseTilePath>;
      try {
        t = parseTilePath(key);
      } catch {
        return undefined;
      }
      const tile =
        t.kind === 'entries'
          ? reader.entryBundle(t.index, t.width, p.size)
          : reader.hashTile(t.level, t.index, t.width, p.size);
      return fit(tile?.bytes, max);
    },
  };
}

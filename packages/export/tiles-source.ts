// A tlog-tiles source read through packages/tiles-client (an http(s) URL or a directory): the one
// reader of the layout the project has, with its size limits and timeouts. Its failures are
// SOURCE errors here; what it reads is verified by the exporter.
import { openTiles, TilesError } from '../tiles-client/index.js';
import { ExportError } from './errors.js';
import type { LayoutReader } from './layout-io.js';

export function tilesSource(location: string): LayoutReader & { close(): void } {
  let fetcher: ReturnType<typeof openTiles>;
  try {
    fetcher = openTiles(location);
  } catch (err) {
    throw new ExportError('USAGE', `--from ${location}: ${(err as Error).message}`);
  }
  return {
    describe: location,
    async read(key, max) {
      try {
        return await fetcher.fetch(key, max);
      } catch (err) {
        if (err instanceof TilesError)
          throw new ExportError('SOURCE', `${location}: ${err.code}: ${err.message}`);
        throw err;
      }
    },
    close: () => fetcher.close(),
  };
}

// Tiles from a directory holding the layout (an export, or a copy of one). The size is checked
// before the file is read, so a planted huge file costs nothing.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { TilesError } from './errors.js';
import { checkLayoutPath, type TileFetcher } from './fetcher.js';

export function dirFetcher(dir: string): TileFetcher {
  return {
    location: dir,
    async fetch(path, maxBytes) {
      checkLayoutPath(path);
      const file = join(dir, ...path.split('/'));
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(file, 'r');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw new TilesError('UNREACHABLE', `${file}: ${code ?? (err as Error).message}`, path);
      }
      try {
        const st = await handle.stat();
        if (!st.isFile()) throw new TilesError('MALFORMED', `${file} is not a file`, path);
        if (st.size > maxBytes) {
          throw new TilesError('TOO_LARGE', `${file}: ${st.size} bytes, more than ${maxBytes}`, path);
        }
        const out = new Uint8Array(st.size);
        let at = 0;
        while (at < out.length) {
          const { bytesRead } = await handle.read(out, at, out.length - at, at);
          if (bytesRead === 0) break;
          at += bytesRead;
        }
        // A file that shrank while read is served as what was read; one that grew is cut at its stat size.
        return at === out.length ? out : out.subarray(0, at);
      } catch (err) {
        if (err instanceof TilesError) throw err;
        throw new TilesError('UNREACHABLE', `${file}: ${(err as Error).message}`, path);
      } finally {
        await handle.close();
      }
    },
    close() {},
  };
}

// The console's browser files, built by scripts/build-console.mjs into dist/console/ and read once
// at start. Only these names are served: a request path is looked up, never joined to a directory.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the build puts the bundle, relative to this module's compiled file (dist/services/ledger/console). */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

export interface Asset {
  type: string;
  data: Buffer;
}

/** The built files by URL path (`/` is index.html); empty when the console was not built. */
export function loadAssets(dir = DEFAULT_ASSETS_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(TYPES)) {
    const path = `${dir}/${name}`;
    if (!existsSync(path)) continue;
    const asset = { type, data: readFileSync(path) };
    out.set(`/${name}`, asset);
    if (name === 'index.html') out.set('/', asset);
  }
  return out;
}

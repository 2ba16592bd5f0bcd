// Builds the web console into dist/console/: one ES module bundle (app.js), its stylesheet and
// page, all served by the ledger itself (no CDN). Run by `npm run build`, so `npm ci` builds it.
// The bundle runs packages/tlog on @noble: Node-only modules are replaced by stubs, and the core's
// crypto seam picks the pure-JS provider when it finds no Node.js.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(root, 'services/ledger/console/ui');
const out = join(root, 'dist/console');

/** node:* imports (reached through shared packages, unused by the console) become empty modules. */
const nodeStubs = {
  name: 'node-stubs',
  setup(b) {
    b.onResolve({ filter: /^node:|\/crypto-node\.js$/ }, (args) => ({
      path: args.path,
      namespace: 'node-stub',
    }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({
      contents: 'module.exports = {};',
      loader: 'js',
    }));
  },
};

mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: [join(ui, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [nodeStubs],
});
copyFileSync(join(ui, 'index.html'), join(out, 'index.html'));
copyFileSync(join(ui, 'app.css'), join(out, 'app.css'));
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`console built: dist/console/app.js (${Math.round(bytes / 1024)} KiB)`);

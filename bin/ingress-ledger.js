#!/usr/bin/env node
// The ingress-ledger command. The implementation is compiled TypeScript in dist/ (built by `npm ci`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/services/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('ingress-ledger: not built yet; run `npm ci` or `npm run build` in the repository\n');
  process.exit(2);
}
await import(entry.href);

// What build a process runs, for the ingress_ledger_build_info metric: the package version and the
// Node.js version. Read once; a missing package.json (an unusual install) reports "unknown".
import { readFileSync } from 'node:fs';

/** The name in our package.json, to tell it from another package's on the way up. */
const PACKAGE_NAME = 'ingress-ledger';

function findVersion(): string {
  // This file runs from dist/packages/runtime (or packages/runtime under a TS loader).
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not here; try the next level.
    }
  }
  return 'unknown';
}

let version: string | undefined;

/** The ingress-ledger package version, e.g. "0.1.0". */
export function packageVersion(): string {
  version ??= findVersion();
  return version;
}

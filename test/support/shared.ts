// Locates ../shared/testdata (present in CI and development, absent in a user's clone).
// Tests that need it skip with a clear message when it is missing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = new URL('../../..', import.meta.url).pathname; // dist/test/support -> repo root

/** Absolute path of ../shared/testdata/<rel>, or undefined when the shared folder is absent. */
export function sharedTestdata(rel = ''): string | undefined {
  const dir = join(repoRoot, '..', 'shared', 'testdata', rel);
  return existsSync(dir) ? dir : undefined;
}

/** The skip reason for tests that need shared test data. */
export const SHARED_MISSING =
  'skipped: ../shared/testdata is not present (it exists in CI and development checkouts)';

/** The repository root (for fixtures under the source tree). */
export const REPO_ROOT = repoRoot;

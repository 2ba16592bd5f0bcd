// The repository's import boundaries (STYLE.md "Boundaries are checked by a test"), as a pure check
// over source texts so that a test can run it on the real tree and on a tree with a planted
// violation. Paths are relative to the repository root, with '/' separators.
import { posix } from 'node:path';

export interface Violation {
  from: string;
  to: string;
  rule: string;
}

/** Test code: tests, test support (a `testing` folder or file), test/ and loadtest/. */
export function isTestCode(path: string): boolean {
  return (
    path.startsWith('test/') ||
    path.startsWith('loadtest/') ||
    path.endsWith('.test.ts') ||
    /(^|\/)testing(\/|\.ts$)/.test(path)
  );
}

/**
 * Test support in packages/ and services/ that is not in its one place: `<module>/testing.ts` or
 * `<module>/testing/` directly in the package or service. A file named like test support elsewhere
 * (test-*.ts, *-test-support.ts) would be built into the image as production code.
 */
export function misplacedTestSupport(paths: Iterable<string>): string[] {
  const out: string[] = [];
  for (const path of paths) {
    const [top, , ...rest] = path.split('/');
    if (top !== 'packages' && top !== 'services') continue;
    const name = rest.at(-1) ?? '';
    if (/^test-|test-support|^test-?helpers?\b/.test(name)) out.push(path);
    else if (rest.slice(0, -1).includes('testing') && rest[0] !== 'testing') out.push(path);
    else if (name === 'testing.ts' && rest.length !== 1) out.push(path);
  }
  return out;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** The repository files a source imports (relative specifiers only), as .ts paths. */
export function importsOf(path: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const target = posix.normalize(posix.join(posix.dirname(path), m[1] ?? ''));
    out.push(target.endsWith('.js') ? `${target.slice(0, -3)}.ts` : target);
  }
  return out;
}

/** A package's faces: its index.ts for everyone, its testing face for test code only. */
function packageFace(target: string): 'index' | 'testing' | undefined {
  const rest = target.split('/').slice(2).join('/');
  if (rest === 'index.ts') return 'index';
  if (rest === 'testing.ts' || rest === 'testing/index.ts') return 'testing';
  return undefined;
}

/** Every import in `files` (path to text) that crosses a boundary. */
export function importViolations(files: ReadonlyMap<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [from, text] of files) {
    const [fromTop, fromName] = from.split('/');
    const test = isTestCode(from);
    for (const to of importsOf(from, text)) {
      const [toTop, toName] = to.split('/');
      const add = (rule: string) => out.push({ from, to, rule });
      if (!test && isTestCode(to)) add('production code imports test code');
      if (
        fromTop === 'packages' &&
        !test &&
        (toTop === 'services' || toTop === 'test' || toTop === 'loadtest')
      ) {
        add('a package imports a service or test code');
      }
      if (fromTop === 'services' && toTop === 'services' && fromName !== toName && !test) {
        const upStartsService = from.startsWith('services/cli/up/') && to.endsWith('/index.ts');
        if (!upStartsService)
          add("a service imports another service (only the CLI's up may, through index.ts)");
      }
      if (toTop === 'packages' && !(fromTop === 'packages' && fromName === toName)) {
        // The testing face is test code, which production code may not import (checked above).
        if (packageFace(to) === undefined) add("an import past a package's index.ts");
      }
    }
  }
  return out;
}

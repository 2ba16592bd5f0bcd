// The structural diff of two stored objects, as RFC 6901 pointers (DESIGN 5.1 history `diff`).
// Objects are compared key by key, so an annotation or a label shows up under its own readable
// pointer (`/metadata/annotations/nginx.ingress.kubernetes.io~1auth-url`); arrays are compared
// index by index, with the tail added or removed.
import { canonicalJson } from '../change/index.js';
import { type DiffOp, isObject, type JsonObject, pointer } from './types.js';

/** Bookkeeping fields every write changes: showing them would bury the real change. */
export const IGNORED_PATHS: ReadonlySet<string> = new Set([
  '/metadata/resourceVersion',
  '/metadata/generation',
  '/metadata/managedFields',
]);

/** Diffs deeper than this are shown as one replace of the subtree, so hostile nesting stays cheap. */
export const MAX_DIFF_DEPTH = 64;

/** Shown instead of a value too deeply nested to print (hostile input). */
export const TOO_DEEP = '"(too deeply nested)"';

function json(v: unknown): string {
  try {
    return canonicalJson(v);
  } catch (error) {
    if (error instanceof RangeError) return TOO_DEEP;
    throw error;
  }
}

/**
 * The operations that turn `before` into `after`. Either may be null: null → object is one `add`
 * of the root, object → null is one `remove` of the root (a delete).
 */
export function diffObjects(before: unknown, after: unknown): DiffOp[] {
  const ops: DiffOp[] = [];
  if (before === null || before === undefined) {
    if (after !== null && after !== undefined) ops.push({ op: 'add', path: '', to: json(after) });
    return ops;
  }
  if (after === null || after === undefined) {
    ops.push({ op: 'remove', path: '', from: json(before) });
    return ops;
  }
  walk(before, after, [], ops);
  return ops;
}

function walk(a: unknown, b: unknown, at: (string | number)[], ops: DiffOp[]): void {
  const path = pointer(...at);
  if (IGNORED_PATHS.has(path)) return;
  if (isObject(a) && isObject(b) && at.length < MAX_DIFF_DEPTH) {
    walkObject(a, b, at, ops);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && at.length < MAX_DIFF_DEPTH) {
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) walk(a[i], b[i], [...at, i], ops);
    // Removals from the end first, so each pointer is valid when applied in order.
    for (let i = a.length - 1; i >= common; i--)
      ops.push({ op: 'remove', path: pointer(...at, i), from: json(a[i]) });
    for (let i = common; i < b.length; i++) ops.push({ op: 'add', path: pointer(...at, i), to: json(b[i]) });
    return;
  }
  const from = json(a);
  const to = json(b);
  // Values too deep to print cannot be shown equal, so they are reported as changed.
  if (from !== to || from === TOO_DEEP) ops.push({ op: 'replace', path, from, to });
}

function walkObject(a: JsonObject, b: JsonObject, at: (string | number)[], ops: DiffOp[]): void {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of [...keys].sort()) {
    const inA = Object.hasOwn(a, key);
    const inB = Object.hasOwn(b, key);
    const path = pointer(...at, key);
    if (IGNORED_PATHS.has(path)) continue;
    if (inA && inB) walk(a[key], b[key], [...at, key], ops);
    else if (inA) ops.push({ op: 'remove', path, from: json(a[key]) });
    else ops.push({ op: 'add', path, to: json(b[key]) });
  }
}

// Kubernetes objects as people read them: YAML, and a change as a unified diff of the previous
// stored object's YAML against this one's (the way `kubectl diff` shows it). Colour is a
// parameter, not a global, so the same text is tested with and without it.
import { structuredPatch } from 'diff';
import { stringify } from 'yaml';
import { type Change, isBodyRef } from '../../packages/change/index.js';

/** Lines of context around each change, as `diff -u`. */
const CONTEXT = 3;

/** An object as YAML (keys in their stored order); nothing for undefined or null. */
export function objectYaml(obj: unknown): string {
  if (obj === undefined || obj === null) return '';
  return stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * The object the change left stored: the response of a successful write when it is an object
 * (not a Status), else the request of a create or update; nothing after a delete or a refused
 * request. Bodies kept outside the leaf are resolved through `bodies` (sha256 → parsed JSON).
 */
export function storedObject(c: Change, bodies: ReadonlyMap<string, unknown> = new Map()): unknown {
  if (c.responseCode >= 300 || c.action === 'delete') return undefined;
  const resolve = (v: unknown): unknown => (isBodyRef(v) ? bodies.get(v.sha256) : v);
  const response = resolve(c.response);
  if (isObject(response) && response.kind !== 'Status') return response;
  const request = resolve(c.request);
  if (c.verb !== 'patch' && isObject(request) && request.kind !== 'Status') return request;
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const paint = (colour: boolean, code: number) => (s: string) => (colour ? `\u001b[${code}m${s}\u001b[0m` : s);

/**
 * A unified diff of two objects' YAML, with `---`/`+++` labels; empty when they are equal. A
 * create is all `+` lines, a delete all `-` lines.
 */
export function yamlDiff(
  before: unknown,
  after: unknown,
  labels: { from: string; to: string },
  colour: boolean,
): string {
  const a = objectYaml(before);
  const b = objectYaml(after);
  if (a === b) return '';
  const patch = structuredPatch(labels.from, labels.to, a, b, undefined, undefined, { context: CONTEXT });
  const red = paint(colour, 31);
  const green = paint(colour, 32);
  const cyan = paint(colour, 36);
  const bold = paint(colour, 1);
  const out = [bold(`--- ${labels.from}`), bold(`+++ ${labels.to}`)];
  for (const h of patch.hunks) {
    out.push(cyan(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`));
    for (const line of h.lines) {
      if (line.startsWith('\\')) continue; // "\ No newline at end of file": YAML text always ends in one
      if (line.startsWith('+')) out.push(green(line));
      else if (line.startsWith('-')) out.push(red(line));
      else out.push(line);
    }
  }
  return `${out.join('\n')}\n`;
}

// `diff -u` writes a range of one line as its start alone, and an empty range as the line before
// it followed by ,0 (so a create reads -0,0).
const range = (start: number, lines: number): string =>
  lines === 1 ? `${start}` : `${lines === 0 ? start - 1 : start},${lines}`;

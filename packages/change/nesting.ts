// How deep parsed JSON nests. JSON.parse takes any depth, but everything after it that walks a value
// by recursion (JSON.stringify, canonical JSON, managedFields removal, diffs) overflows the stack
// somewhere past ten thousand levels; a RangeError there would fail a whole batch, on every retry.
// So depth is checked once, without recursion, where outside input enters.

/**
 * Deepest nesting accepted in an audit event or a change (objects and arrays, the outermost counts
 * as 1). Kubernetes objects nest a dozen or two levels; this leaves ample room.
 */
export const MAX_NESTING_DEPTH = 100;

/** Whether `value` nests objects or arrays deeper than `max` levels. Iterative: any depth is safe. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 1 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { v, depth } = top;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push({ v: c, depth: depth + 1 });
  }
  return false;
}

/**
 * JSON text of `value` for evidence (a rejected item's bytes), with anything nested deeper than
 * `max` replaced by a string saying so; JSON.stringify itself would overflow on such input.
 */
export function boundedJson(value: unknown, max = MAX_NESTING_DEPTH): string {
  if (!nestsDeeperThan(value, max)) return JSON.stringify(value) ?? 'null';
  const cut = (v: unknown, depth: number): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (depth > max) return `[nested deeper than ${max} levels: cut]`;
    if (Array.isArray(v)) return v.map((c) => cut(c, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, c] of Object.entries(v)) out[k] = cut(c, depth + 1);
    return out;
  };
  return JSON.stringify(cut(value, 1)) ?? 'null';
}

// RFC 8785 (JCS) canonical JSON. Every leaf is canonicalized once by the collector and once more
// by the ledger (to check it is canonical), so this is on the hot path of both. RFC 8785 serializes
// primitives exactly as ECMAScript's JSON.stringify does (numbers by Number::toString, -0 as 0,
// strings with JSON.stringify's escapes), so the only work of our own is ordering object members
// by UTF-16 code units, which is what Array.prototype.sort compares by default. Output is checked
// against the `canonicalize` library (the reference implementation) in canonical.test.ts.

/** Quoted forms of object member names: the same few dozen names recur in every change. */
const quotedNames = new Map<string, string>();
/** Bound on quotedNames: names come from input, so the cache must not grow with it. */
const MAX_QUOTED_NAMES = 4096;

function quoteName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = JSON.stringify(name);
    if (quotedNames.size < MAX_QUOTED_NAMES) quotedNames.set(name, quoted);
  }
  return quoted;
}

/** Values JSON.stringify leaves out of an object (and writes as null in an array). */
function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

function serialize(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON representation`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new TypeError(`a ${typeof value} has no JSON representation`);
  }
  if (value === null) return 'null';
  const o = value as Record<string, unknown> & { toJSON?: unknown };
  if (typeof o.toJSON === 'function') return serialize((o.toJSON as () => unknown)());
  if (Array.isArray(o)) {
    let out = '[';
    for (let i = 0; i < o.length; i++) {
      if (i > 0) out += ',';
      const v: unknown = o[i];
      out += omitted(v) ? 'null' : serialize(v);
    }
    return `${out}]`;
  }
  const names = Object.keys(o);
  if (names.length > 1) names.sort();
  let out = '{';
  let first = true;
  for (const name of names) {
    const v = o[name];
    if (omitted(v)) continue;
    if (first) first = false;
    else out += ',';
    out += `${quoteName(name)}:${serialize(v)}`;
  }
  return `${out}}`;
}

/** The RFC 8785 canonical JSON text of a JSON value. Throws on values JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  if (omitted(value)) throw new TypeError('value has no JSON representation');
  return serialize(value);
}

// RFC 8785 (JCS) canonical JSON, through a maintained library.
import canonicalizeLib from 'canonicalize';

const canonicalize = canonicalizeLib as unknown as (value: unknown) => string | undefined;

/** The RFC 8785 canonical JSON text of a JSON value. Throws on values JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

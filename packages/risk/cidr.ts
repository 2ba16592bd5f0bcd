// IPv4/IPv6 address ranges (CIDR), parsed strictly and without RegExp, for allow-lists and for
// judging whether a whitelist-source-range was widened.
import { isIP } from 'node:net';

export interface Cidr {
  /** 4 for IPv4, 6 for IPv6. */
  family: 4 | 6;
  /** The network address as a 32- or 128-bit integer. */
  base: bigint;
  prefix: number;
}

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number.parseInt(part, 10)), 0n);
}

function v6ToBig(ip: string): bigint {
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = v4ToBig(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(fill).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a host range). Returns undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const t = text.trim();
  if (t.length === 0 || t.length > 64) return undefined;
  const slash = t.indexOf('/');
  const addr = slash < 0 ? t : t.slice(0, slash);
  const family = isIP(addr);
  if (family !== 4 && family !== 6) return undefined;
  const bits = family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > bits) return undefined;
  }
  const value = family === 4 ? v4ToBig(addr) : v6ToBig(addr);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family, base: value & mask, prefix };
}

/** True when every address of `inner` is in `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const bits = outer.family === 4 ? 32 : 128;
  const shift = BigInt(bits - outer.prefix);
  return inner.base >> shift === outer.base >> shift;
}

/** True when the address (no prefix) lies in one of the ranges. */
export function ipInRanges(ip: string, ranges: readonly Cidr[]): boolean {
  const host = parseCidr(ip);
  return host !== undefined && ranges.some((r) => cidrContains(r, host));
}

/** The comma-separated ranges of an annotation such as `whitelist-source-range`; malformed items are dropped. */
export function parseRangeList(value: string): Cidr[] {
  return value
    .split(',')
    .map((s) => parseCidr(s))
    .filter((c): c is Cidr => c !== undefined);
}

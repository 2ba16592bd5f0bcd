// RFC 3339 timestamps to microseconds since the epoch (the audit log's precision), strictly: the
// text comes from leaves, so anything that is not a full date-time with zone is rejected.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Microseconds since the epoch, or undefined when the text is not an RFC 3339 date-time. */
export function rfc3339Micros(text: string): bigint | undefined {
  if (text.length > 40) return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (
    !Number.isFinite(ms) ||
    Number(mo) > 12 ||
    Number(d) > 31 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 60
  ) {
    return undefined;
  }
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const micros = BigInt((frac.slice(1) + '000000').slice(0, 6));
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1000n + micros;
}

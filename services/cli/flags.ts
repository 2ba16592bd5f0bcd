// Strict parsers for flag values. Each throws commander's InvalidArgumentError, which the program
// reports as a one-line usage error (exit 2) naming the flag.
import { type Timestamp, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError } from 'commander';
import { parseDecimal } from '../../packages/tlog/index.js';

/** A leaf index or tree size: ASCII decimal, no sign, no leading zeroes, below 2^63. */
export function parseIndex(text: string): bigint {
  try {
    return parseDecimal(text);
  } catch {
    throw new InvalidArgumentError('not a decimal number without sign or leading zeroes');
  }
}

/** Accumulates a repeatable bigint flag; also accepts comma-separated lists (`--index 1,5,9`). */
export function collectIndexes(text: string, previous: bigint[] | undefined): bigint[] {
  const out = previous ?? [];
  for (const part of text.split(',')) out.push(parseIndex(part.trim()));
  return out;
}

/** Accumulates a repeatable string flag. */
export function collect(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), text];
}

/** A positive integer at most max. */
export function positiveInt(max: number): (text: string) => number {
  return (text) => {
    if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > max) {
      throw new InvalidArgumentError(`not an integer from 1 to ${max}`);
    }
    return Number(text);
  };
}

/** A TCP port, 0 meaning "pick a free one". */
export function parsePort(text: string): number {
  if (!/^(?:0|[1-9][0-9]{0,4})$/.test(text) || Number(text) > 65535) {
    throw new InvalidArgumentError('not a port number from 0 to 65535');
  }
  return Number(text);
}

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(?:[1-9][0-9]{0,4})$/;

/** `host:port` of a gRPC server (IPv6 in brackets). */
export function parseHostPort(text: string): string {
  if (!HOST_PORT.test(text) || Number(text.slice(text.lastIndexOf(':') + 1)) > 65535) {
    throw new InvalidArgumentError('expected HOST:PORT');
  }
  return text;
}

const DURATION = /^([1-9][0-9]{0,8})(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };
// RFC 3339 with a zone; Date.parse alone would accept far more than that.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** A point in time as parsed from a flag: a Date plus the digits below the millisecond, if any. */
export interface TimePoint {
  date: Date;
  /** Nanoseconds within the second, when the text gave more precision than a Date holds. */
  nanos?: number;
}

/** The protobuf Timestamp of a TimePoint, keeping micro- and nanoseconds (audit times have them). */
export function timestampOf(t: TimePoint): Timestamp {
  const ts = timestampFromDate(t.date);
  if (t.nanos !== undefined) ts.nanos = t.nanos;
  return ts;
}

/** `2h`, `30m`, `7d` before now, or an RFC 3339 time. */
export function parseTimeOrAgo(now: () => number = Date.now): (text: string) => TimePoint {
  return (text) => {
    const ago = DURATION.exec(text);
    if (ago !== null) return { date: new Date(now() - Number(ago[1]) * (UNIT_MS[ago[2] ?? 's'] ?? 1e3)) };
    if (RFC3339.test(text)) {
      const t = Date.parse(text);
      if (!Number.isNaN(t)) {
        const fraction = /\.(\d{1,9})/.exec(text)?.[1];
        return fraction === undefined
          ? { date: new Date(t) }
          : { date: new Date(t), nanos: Number(fraction.padEnd(9, '0')) };
      }
    }
    throw new InvalidArgumentError('expected a duration like 2h, 30m, 7d or an RFC 3339 time');
  };
}

/** A duration like 500ms, 5s or 2m, in milliseconds. */
export function parseInterval(text: string): number {
  const m = /^([1-9][0-9]{0,8})(ms|s|m|h)$/.exec(text);
  if (m === null) throw new InvalidArgumentError('expected a duration like 500ms, 5s or 2m');
  const unit = m[2] === 'ms' ? 1 : (UNIT_MS[m[2] ?? 's'] ?? 1e3);
  return Number(m[1]) * unit;
}

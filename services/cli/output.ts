// Output for people (aligned tables, colours only on a TTY, local dates with their zone) and for
// scripts (one JSON value per line, bigints as plain JSON numbers).

/** Colours are used only on a terminal and never when NO_COLOR is set (no-color.org). */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && (process.env.NO_COLOR ?? '') === '' && process.env.TERM !== 'dumb';
}

type Paint = (text: string) => string;
const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    useColour() ? `\u001b[${open}m${text}\u001b[${close}m` : text;

export const bold = sgr(1, 22);
export const dim = sgr(2, 22);
export const red = sgr(31, 39);
export const green = sgr(32, 39);
export const yellow = sgr(33, 39);

// Visible width ignores colour escapes so coloured cells still align.
const ESCAPES = /\u001b\[[0-9;]*m/g;
const visibleWidth = (s: string): number => s.replace(ESCAPES, '').length;

/** Rows as aligned columns separated by two spaces; the last column is not padded. */
export function table(header: readonly string[] | undefined, rows: readonly (readonly string[])[]): string {
  const all = header === undefined ? rows : [header.map((h) => bold(h)), ...rows];
  const widths: number[] = [];
  for (const row of all) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell));
    });
  }
  return all
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleWidth(cell)),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Key/value lines with aligned values. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  return table(
    undefined,
    pairs.map(([k, v]) => [dim(`${k}:`), v]),
  );
}

const two = (n: number) => String(n).padStart(2, '0');

/** A timestamp in the local time zone, with the zone's name: `2026-11-27 01:03:51 CET`. */
export function localTime(value: string | Date | undefined): string {
  if (value === undefined || value === '') return '-';
  const d = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return typeof value === 'string' ? value : '-';
  const zone =
    new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
      .formatToParts(d)
      .find((p) => p.type === 'timeZoneName')?.value ?? '';
  return (
    `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`
  ).trimEnd();
}

// JSON has no bigint; write them as plain numbers (exact, unlike a detour through Number).
const BIGINT_MARK = '\u0000bigint:';
const BIGINT_QUOTED = /"\\u0000bigint:(-?[0-9]+)"/g;

/** JSON text of value; bigints become JSON numbers, Uint8Arrays base64 strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${BIGINT_MARK}${v}`;
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    return v;
  }).replace(BIGINT_QUOTED, '$1');
}

/**
 * Where the command writes. Everything goes through here, commander's own messages included, so
 * tests can run the program in-process without touching the process's streams.
 */
export const io = {
  out: (text: string): void => {
    process.stdout.write(text);
  },
  err: (text: string): void => {
    process.stderr.write(text);
  },
};

export function printJson(value: unknown): void {
  io.out(`${toJson(value)}\n`);
}

export function println(text = ''): void {
  io.out(`${text}\n`);
}

/** One line on stderr. */
export function warn(text: string): void {
  io.err(`${text}\n`);
}

/** Lower-case hex. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

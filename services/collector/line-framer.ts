// Cuts the bytes of an audit log into lines. Pure: no I/O and no clock, so the tail's I/O loop
// (log-tail.ts) owns files and positions while everything about line boundaries is tested here.
//
// The bytes are hostile (anyone who can write the log can write anything), so:
// - a line longer than the cap is never held in full: it becomes one `too-long` frame carrying at
//   most TOO_LONG_PREFIX_BYTES of it, and the rest up to its newline is skipped (`discarding`);
// - a partial last line is left unconsumed until its newline arrives (or the file is final);
// - bytes are decoded as UTF-8 with invalid sequences replaced by U+FFFD, so a line always decodes;
//   the JSON parser downstream decides whether what is left is an audit event.

/** Bytes of an over-long line kept in its `too-long` frame (it goes to INGRESS_REJECTED). */
export const TOO_LONG_PREFIX_BYTES = 4096;

/** One unit the framer hands on, in file order. */
export type Frame =
  /** A complete line without its `\n` (nor a `\r` before it); may be empty. */
  | { kind: 'line'; text: string }
  /** A line over `maxLineBytes`: its first bytes only. */
  | { kind: 'too-long'; prefix: string };

export interface FrameOptions {
  /** Stop after this many frames (the caller's batch size); at least 1. */
  maxFrames: number;
  /** Longest line accepted, in bytes, not counting its line ending. */
  maxLineBytes: number;
  /** The input is the end of a file that will not grow (it was rotated away): its last line is complete. */
  final: boolean;
}

export interface Framed {
  frames: Frame[];
  /** Bytes of the input the frames account for (lines, their newlines, and skipped bytes). */
  used: number;
  /** The next input starts inside an over-long line whose frame was already given. */
  discarding: boolean;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function lineText(bytes: Buffer): string {
  const end =
    bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}

function tooLong(bytes: Buffer, from: number, end: number): Frame {
  return {
    kind: 'too-long',
    prefix: bytes.toString('utf8', from, Math.min(end, from + TOO_LONG_PREFIX_BYTES)),
  };
}

/**
 * Frames `input`, which starts where the last call's `used` ended (with its `discarding`).
 * Bytes past `used` are a partial line (or lines past `maxFrames`): pass them again, with more.
 * Never returns more than `maxFrames` frames; returns `used: 0` only when nothing can be framed yet.
 */
export function frameLines(input: Buffer, discarding: boolean, o: FrameOptions): Framed {
  const frames: Frame[] = [];
  let used = 0;
  let skipping = discarding;
  while (frames.length < o.maxFrames && used < input.length) {
    const nl = input.indexOf(NEWLINE, used);
    if (nl < 0) {
      const rest = input.length - used;
      if (!skipping && rest > o.maxLineBytes) {
        frames.push(tooLong(input, used, input.length));
        skipping = true;
      } else if (!skipping && o.final) {
        frames.push({ kind: 'line', text: lineText(input.subarray(used)) });
      } else if (!skipping) {
        break; // a partial line: wait for its newline
      }
      used = input.length;
      break;
    }
    if (skipping) skipping = false;
    else if (nl - used > o.maxLineBytes) frames.push(tooLong(input, used, nl));
    else frames.push({ kind: 'line', text: lineText(input.subarray(used, nl)) });
    used = nl + 1;
  }
  // A final file's over-long last line ends with the file.
  return { frames, used, discarding: skipping && !(o.final && used === input.length) };
}

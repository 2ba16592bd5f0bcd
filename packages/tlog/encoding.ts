// Strict text encodings shared by the formats: RFC 4648 base64 and decimal numbers.
import { TlogError } from './errors.js';

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// Node's Buffer is the fast path; browsers (no Buffer) use atob/btoa. Both are strict here because
// the regular expression and the re-encoding check run first.
type BufferLike = {
  toString(enc: 'base64'): string;
  buffer: ArrayBufferLike;
  byteOffset: number;
  byteLength: number;
};
type BufferStatic = {
  from(text: string, enc: 'base64'): BufferLike;
  from(buf: ArrayBufferLike, offset: number, length: number): BufferLike;
};
const NodeBuffer = (globalThis as { Buffer?: BufferStatic }).Buffer;

/** Decodes standard padded base64, rejecting anything else (whitespace, URL alphabet, bad padding). */
export function decodeBase64(text: string): Uint8Array {
  if (!BASE64_RE.test(text)) throw new TlogError('MALFORMED', 'invalid base64');
  let bytes: Uint8Array;
  if (NodeBuffer !== undefined) {
    const b = NodeBuffer.from(text, 'base64');
    bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } else {
    const bin = atob(text);
    bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  }
  // Non-canonical trailing bits (e.g. "AB==") decode leniently; re-encode to reject them.
  if (encodeBase64(bytes) !== text) throw new TlogError('MALFORMED', 'non-canonical base64');
  return bytes;
}

export function encodeBase64(bytes: Uint8Array): string {
  if (NodeBuffer !== undefined)
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i] as number);
  return btoa(bin);
}

const MAX_UINT63 = (1n << 63n) - 1n;
const DECIMAL_RE = /^(?:0|[1-9][0-9]{0,18})$/;

/** Parses ASCII decimal without sign or leading zeroes, at most 2^63-1. Throws MALFORMED. */
export function parseDecimal(text: string): bigint {
  if (!DECIMAL_RE.test(text)) throw new TlogError('MALFORMED', `invalid number "${text.slice(0, 32)}"`);
  const n = BigInt(text);
  if (n > MAX_UINT63) throw new TlogError('MALFORMED', 'number too large');
  return n;
}

const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a JS string has a lone surrogate, i.e. cannot be encoded as UTF-8 without loss. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE_RE.test(text);
}

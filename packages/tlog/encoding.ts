// Strict text encodings shared by the formats: RFC 4648 base64 and decimal numbers.
import { TlogError } from './errors.js';

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard padded base64, rejecting anything else (whitespace, URL alphabet, bad padding). */
export function decodeBase64(text: string): Uint8Array {
  if (!BASE64_RE.test(text)) throw new TlogError('MALFORMED', 'invalid base64');
  const bytes = Buffer.from(text, 'base64');
  // Non-canonical trailing bits (e.g. "AB==") decode leniently; re-encode to reject them.
  if (bytes.toString('base64') !== text) throw new TlogError('MALFORMED', 'non-canonical base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
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

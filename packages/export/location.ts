// The places an export reads from and writes to, as given on a command line or in a setting:
// `s3://BUCKET/PREFIX`, an `http(s)://` tiles URL, or a directory. And retention periods (`30d`, `7y`).
import { ExportError } from './errors.js';

export type Location =
  | { kind: 'dir'; path: string }
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'http'; url: string };

// S3 bucket naming rules (3-63 chars of lower-case letters, digits, dots and hyphens).
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MAX_PREFIX_CHARS = 512;
// Printable ASCII without backslash; each segment non-empty and not . or ..
const PREFIX_RE = /^[\x21-\x5b\x5d-\x7e]+$/;

export function parseLocation(text: string, flag: string): Location {
  if (text.startsWith('s3://')) {
    const rest = text.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!BUCKET_RE.test(bucket)) throw new ExportError('USAGE', `${flag} ${text}: not a valid bucket name`);
    if (prefix !== '') {
      const segments = prefix.split('/');
      if (
        prefix.length > MAX_PREFIX_CHARS ||
        !PREFIX_RE.test(prefix) ||
        segments.some((s) => s === '' || s === '.' || s === '..')
      )
        throw new ExportError('USAGE', `${flag} ${text}: not a valid key prefix`);
    }
    return { kind: 's3', bucket, prefix };
  }
  if (text.startsWith('http://') || text.startsWith('https://')) {
    try {
      return { kind: 'http', url: new URL(text).href };
    } catch {
      throw new ExportError('USAGE', `${flag} ${text}: not a valid URL`);
    }
  }
  if (text === '' || text.includes('://'))
    throw new ExportError('USAGE', `${flag} ${text}: want a directory, s3://BUCKET/PREFIX or an http(s) URL`);
  return { kind: 'dir', path: text };
}

export interface Retention {
  text: string;
  retainUntil: (now: Date) => Date;
}

const RETAIN_RE = /^([1-9][0-9]{0,3})([dy])$/;
const DAY_MS = 86_400_000;

/** `<n>d` (days) or `<n>y` (calendar years), n from 1 to 9999. */
export function parseRetention(text: string, flag: string): Retention {
  const m = RETAIN_RE.exec(text);
  if (m === null) throw new ExportError('USAGE', `${flag} ${text}: want a period like 30d or 7y`);
  const n = Number(m[1]);
  return {
    text,
    retainUntil:
      m[2] === 'd'
        ? (now) => new Date(now.getTime() + n * DAY_MS)
        : (now) => {
            const d = new Date(now.getTime());
            d.setUTCFullYear(d.getUTCFullYear() + n);
            return d;
          },
  };
}

export type ObjectLockModeText = 'compliance' | 'governance';

export function parseObjectLockMode(text: string, flag: string): 'COMPLIANCE' | 'GOVERNANCE' {
  if (text === 'compliance') return 'COMPLIANCE';
  if (text === 'governance') return 'GOVERNANCE';
  throw new ExportError('USAGE', `${flag} ${text}: want compliance or governance`);
}

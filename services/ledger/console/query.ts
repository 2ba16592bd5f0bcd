// The console's query strings, parsed strictly. The names are the `search` command's (DESIGN 12),
// so a console link and a CLI line say the same thing. The query string is attacker-controlled: its
// length is checked before it is split, every parameter is known, given once, free of control
// characters, and numbers and times are parsed without leniency. Value limits beyond these (filter
// length, page tokens, rule ids) are the search index's own and are enforced by it.
import { create } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import {
  type GetObjectHistoryRequest,
  GetObjectHistoryRequestSchema,
  type SearchEntriesRequest,
  SearchEntriesRequestSchema,
} from '../../../packages/proto/index.js';
import { ConsoleError } from './errors.js';
import { HISTORY_PARAMS, SEARCH_PARAMS } from './params.js';

/** Longest query string accepted: every filter at a realistic length fits many times over. */
export const MAX_QUERY_CHARS = 8192;
/** Entries in one page of the timeline when `limit` is not given. */
export const DEFAULT_LIMIT = 100;
/** Largest page the console asks for: each entry carries its inclusion proof. */
export const MAX_LIMIT = 500;

/** The `search` filters the console takes, by query name, and the request field each sets. */
const STRING_FILTERS = {
  cluster: 'cluster',
  namespace: 'namespace',
  name: 'name',
  user: 'user',
  action: 'action',
  verb: 'verb',
  resource: 'resource',
  host: 'host',
  risk: 'risk',
  text: 'text',
} as const;
// C0 controls and DEL: no name, host, user or free text needs them.
const CONTROL_RE = /[\u0000-\u001f\u007f]/;
const DECIMAL_RE = /^(0|[1-9][0-9]{0,9})$/;
const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const AGO_RE = /^([1-9][0-9]{0,5})(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

const bad = (why: string) => new ConsoleError('BAD_QUERY', why);

/** The parameters of a query string, each known and given once. */
export function queryParams(search: string, allowed: readonly string[]): Map<string, string> {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  if (raw.length > MAX_QUERY_CHARS)
    throw new ConsoleError('TOO_LONG', `query longer than ${MAX_QUERY_CHARS}`);
  const out = new Map<string, string>();
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq), 'parameter name');
    const value = decode(eq < 0 ? '' : part.slice(eq + 1), key);
    if (!allowed.includes(key)) throw bad(`unknown parameter ${JSON.stringify(key.slice(0, 64))}`);
    if (out.has(key)) throw bad(`${key}: given more than once`);
    if (CONTROL_RE.test(value)) throw bad(`${key}: contains a control character`);
    out.set(key, value);
  }
  return out;
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw bad(`${what}: invalid percent-encoding`);
  }
}

/** A time filter: RFC 3339 (to the nanosecond), or a duration ago (`90s`, `15m`, `2h`, `7d`). */
export function parseTime(field: string, text: string, now = Date.now()): { seconds: bigint; nanos: number } {
  const ago = AGO_RE.exec(text);
  if (ago !== null) {
    const ms = now - Number(ago[1]) * UNIT_SECONDS[ago[2] as keyof typeof UNIT_SECONDS] * 1000;
    return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
  }
  const m = RFC3339_RE.exec(text);
  if (m === null) throw bad(`${field}: not an RFC 3339 time or a duration like 2h`);
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const t = new Date(utc);
  // Date.UTC rolls 02-30 over to March: the round trip refuses what the pattern lets through.
  if (
    t.getUTCFullYear() !== y ||
    t.getUTCMonth() !== mo - 1 ||
    t.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  )
    throw bad(`${field}: not a valid date and time`);
  const zone = (m[8] as string).toUpperCase();
  const offsetMin =
    zone === 'Z'
      ? 0
      : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const frac = m[7];
  const nanos = frac === undefined ? 0 : Number(frac.slice(1).padEnd(9, '0'));
  return { seconds: BigInt(utc / 1000 - offsetMin * 60), nanos };
}

function decimal(field: string, text: string, max: number): number {
  if (!DECIMAL_RE.test(text)) throw bad(`${field}: not a decimal number`);
  const n = Number(text);
  if (n > max) throw bad(`${field}: larger than ${max}`);
  return n;
}

/** The timeline's filters as a SearchEntriesRequest. */
export function searchRequestOf(search: string, now = Date.now()): SearchEntriesRequest {
  const p = queryParams(search, SEARCH_PARAMS);
  const req = create(SearchEntriesRequestSchema, { pageSize: DEFAULT_LIMIT });
  for (const [name, field] of Object.entries(STRING_FILTERS)) {
    const v = p.get(name);
    if (v !== undefined && v !== '') req[field] = v;
  }
  const code = p.get('response-code');
  if (code !== undefined && code !== '') {
    req.responseCode = decimal('response-code', code, 599);
    if (req.responseCode < 100) throw bad('response-code: not an HTTP status');
  }
  for (const field of ['since', 'until'] as const) {
    const v = p.get(field);
    if (v !== undefined && v !== '') req[field] = create(TimestampSchema, parseTime(field, v, now));
  }
  const limit = p.get('limit');
  if (limit !== undefined && limit !== '') {
    req.pageSize = decimal('limit', limit, MAX_LIMIT);
    if (req.pageSize === 0) throw bad('limit: must be at least 1');
  }
  const page = p.get('page');
  if (page !== undefined && page !== '') req.pageToken = page;
  return req;
}

/** `?object=<namespace>/<name>` (or `<name>` for a cluster-scoped object), or `?uid=`. */
export function historyRequestOf(search: string): GetObjectHistoryRequest {
  const p = queryParams(search, HISTORY_PARAMS);
  const req = create(GetObjectHistoryRequestSchema, {});
  const uid = p.get('uid') ?? '';
  const object = p.get('object') ?? '';
  if (uid !== '') req.uid = uid;
  else {
    if (object === '') throw bad('object: required, as <namespace>/<name>');
    const parts = object.split('/');
    if (parts.length > 2 || parts.some((s) => s === '')) throw bad('object: not <namespace>/<name>');
    if (parts.length === 2) [req.namespace, req.name] = parts as [string, string];
    else req.name = parts[0] as string;
  }
  req.cluster = p.get('cluster') ?? '';
  req.resource = p.get('resource') ?? '';
  return req;
}

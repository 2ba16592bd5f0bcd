// Validation of SearchEntriesRequest (DESIGN 5.1) into one SQL query: every set filter is ANDed,
// user text never reaches FTS5 unquoted, every value is a bound parameter.
import { createHash } from 'node:crypto';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import type { SearchEntriesRequest } from '../../../packages/proto/index.js';
import { RULE_IDS } from '../../../packages/risk/index.js';
import { SearchError } from './errors.js';
import { pairPhrase } from './fts-pairs.js';

/** Results per page when the request says 0. */
export const DEFAULT_PAGE_SIZE = 100;
/** Largest page a client may ask for. */
export const MAX_PAGE_SIZE = 1000;
/** Longest string filter accepted; real names, hosts and users are far shorter. */
export const MAX_FILTER_CHARS = 1024;
/** Most full-text terms in one query. */
export const MAX_TEXT_TERMS = 32;
/** Longest page token accepted before decoding it. */
export const MAX_PAGE_TOKEN_CHARS = 128;

const ACTIONS = ['create', 'update', 'delete'];
const VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];
// Timestamp.seconds bounds of google.protobuf.Timestamp (0001-01-01 .. 9999-12-31).
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;

export interface SearchQuery {
  /** SQL conditions over `e` (search_entries), without the cursor and size bound. */
  where: string[];
  params: (string | bigint)[];
  pageSize: number;
  /** Exclusive upper bound on idx from the page token, or undefined for the first page. */
  before: bigint | undefined;
  /** Ties a page token to its filters. */
  fingerprint: string;
}

function checkString(field: string, v: string): string {
  if (v.length > MAX_FILTER_CHARS)
    throw new SearchError('TOO_LONG', field, `longer than ${MAX_FILTER_CHARS} characters`);
  // SQLite's FTS5 query parser stops at NUL; no name, host or user contains one.
  if (v.includes('\u0000')) throw new SearchError('BAD_VALUE', field, 'contains NUL');
  return v;
}

const TOOL_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** `tool` or `tool:name` as the index stores it (entry-row.ts attributionKeys): the tool lower-cased. */
export function attributionFilter(text: string): string {
  const colon = text.indexOf(':');
  const tool = (colon < 0 ? text : text.slice(0, colon)).toLowerCase();
  if (!TOOL_RE.test(tool))
    throw new SearchError('BAD_VALUE', 'attribution', 'must be TOOL or TOOL:NAME, like argocd:shop');
  if (colon >= 0 && colon === text.length - 1)
    throw new SearchError('BAD_VALUE', 'attribution', 'empty name after the colon');
  return colon < 0 ? tool : `${tool}:${text.slice(colon + 1)}`;
}

function micros(field: string, t: Timestamp): bigint {
  if (t.seconds < MIN_SECONDS || t.seconds > MAX_SECONDS)
    throw new SearchError('BAD_VALUE', field, 'seconds out of range');
  if (!Number.isInteger(t.nanos) || t.nanos < 0 || t.nanos > 999_999_999)
    throw new SearchError('BAD_VALUE', field, 'nanos out of range');
  return t.seconds * 1_000_000n + BigInt(Math.floor(t.nanos / 1000));
}

function textTerms(text: string): string[] {
  const terms = text.split(/\s+/).filter((t) => t !== '');
  if (terms.length === 0) throw new SearchError('BAD_TEXT', 'text', 'no search terms');
  if (terms.length > MAX_TEXT_TERMS)
    throw new SearchError('BAD_TEXT', 'text', `more than ${MAX_TEXT_TERMS} terms`);
  return terms;
}

const quoted = (terms: readonly string[]) => terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' ');

/** Each whitespace-separated term as an FTS5 string (double quotes doubled), ANDed. */
export function ftsQuery(text: string): string {
  return quoted(textTerms(text));
}

/** How the index can answer `text` (fts-pairs.ts). */
export interface FtsPlan {
  /** search_fts_pairs holds every indexed entry that is not in search_fts_slow. */
  pairs: boolean;
  /** search_fts_slow is not empty. */
  slow: boolean;
}

const FTS = 'e.idx IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)';
const PAIRS = 'e.idx IN (SELECT rowid FROM search_fts_pairs WHERE search_fts_pairs MATCH ?)';

export function buildQuery(
  req: SearchEntriesRequest,
  plan: FtsPlan = { pairs: false, slow: false },
): SearchQuery {
  const where: string[] = [];
  const params: (string | bigint)[] = [];
  const eq = (field: string, column: string, value: string, allowed?: readonly string[]) => {
    if (value === '') return;
    checkString(field, value);
    if (allowed && !allowed.includes(value))
      throw new SearchError('BAD_VALUE', field, `must be one of ${allowed.join(', ')}`);
    where.push(`e.${column} = ?`);
    params.push(value);
  };
  eq('cluster', 'cluster', req.cluster);
  eq('namespace', 'namespace', req.namespace);
  eq('name', 'name', req.name);
  eq('user', 'username', req.user);
  eq('action', 'action', req.action, ACTIONS);
  eq('verb', 'verb', req.verb, VERBS);
  eq('resource', 'resource', req.resource);
  if (req.responseCode !== 0) {
    if (req.responseCode < 100 || req.responseCode > 599)
      throw new SearchError('BAD_VALUE', 'response_code', 'must be 100..599');
    where.push('e.response_code = ?');
    params.push(BigInt(req.responseCode));
  }
  if (req.host !== '') {
    checkString('host', req.host);
    where.push("e.idx IN (SELECT a.idx FROM search_attrs a WHERE a.kind = 'host' AND a.value = ?)");
    params.push(req.host.toLowerCase());
  }
  if (req.risk !== '') {
    checkString('risk', req.risk);
    if (!(RULE_IDS as readonly string[]).includes(req.risk))
      throw new SearchError('BAD_VALUE', 'risk', 'unknown rule id');
    where.push('e.idx IN (SELECT f.idx FROM search_findings f WHERE f.rule = ?)');
    params.push(req.risk);
  }
  if (req.reasonMissing) {
    // The same test as hasReason (packages/change/actor.ts): no reason, or only white space.
    where.push(`(e.reason IS NULL OR trim(e.reason, ' ' || char(9) || char(10) || char(13)) = '')`);
  }
  if (req.attribution !== '') {
    checkString('attribution', req.attribution);
    where.push("e.idx IN (SELECT a.idx FROM search_attrs a WHERE a.kind = 'attribution' AND a.value = ?)");
    params.push(attributionFilter(req.attribution));
  }
  const since = req.since ? micros('since', req.since) : undefined;
  const until = req.until ? micros('until', req.until) : undefined;
  if (since !== undefined && until !== undefined && since > until)
    throw new SearchError('BAD_VALUE', 'since', 'after until');
  if (since !== undefined) {
    where.push('e.stage_us >= ?');
    params.push(since);
  }
  if (until !== undefined) {
    where.push('e.stage_us <= ?');
    params.push(until);
  }
  // The page token is tied to what is asked, not to how the text is looked up (which changes when
  // a non-ASCII entry arrives between two pages).
  const asked: [string[], (string | bigint)[]] = [[...where], [...params]];
  if (req.text !== '') {
    checkString('text', req.text);
    const terms = textTerms(req.text);
    asked[0].push(FTS);
    asked[1].push(quoted(terms));
    // Terms of two or more plain tokens are phrases of token pairs; the rest stay in search_fts.
    // Both are ANDed, as the terms were, and each still matches in any one column.
    const single: string[] = [];
    const paired: string[] = [];
    for (const t of terms) {
      const p = plan.pairs ? pairPhrase(t) : undefined;
      if (p === undefined) single.push(t);
      else paired.push(p);
    }
    if (single.length > 0) {
      where.push(FTS);
      params.push(quoted(single));
    }
    if (paired.length > 0) {
      const phrases = paired.join(' ');
      if (plan.slow) {
        where.push(`(${PAIRS} OR (e.idx IN (SELECT idx FROM search_fts_slow) AND ${FTS}))`);
        params.push(phrases, quoted(terms.filter((t) => !single.includes(t))));
      } else {
        where.push(PAIRS);
        params.push(phrases);
      }
    }
  }
  if (req.pageSize > MAX_PAGE_SIZE)
    throw new SearchError('BAD_PAGE', 'page_size', `at most ${MAX_PAGE_SIZE}`);
  const pageSize = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : req.pageSize;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([asked[0], asked[1].map(String)]))
    .digest('hex')
    .slice(0, 16);
  const before = req.pageToken === '' ? undefined : decodePageToken(req.pageToken, fingerprint);
  return { where, params, pageSize, before, fingerprint };
}

// A token is base64url("p1.<next exclusive idx bound>.<fingerprint>"): opaque to clients, and
// refused when it was made for other filters (a page of one query is meaningless in another).
export function encodePageToken(before: bigint, fingerprint: string): string {
  return Buffer.from(`p1.${before}.${fingerprint}`, 'utf8').toString('base64url');
}

function decodePageToken(token: string, fingerprint: string): bigint {
  if (token.length > MAX_PAGE_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new SearchError('BAD_PAGE', 'page_token', 'malformed');
  }
  const parts = Buffer.from(token, 'base64url').toString('utf8').split('.');
  const [tag, bound, fp] = parts;
  if (parts.length !== 3 || tag !== 'p1' || bound === undefined || !/^(0|[1-9][0-9]{0,19})$/.test(bound)) {
    throw new SearchError('BAD_PAGE', 'page_token', 'malformed');
  }
  if (fp !== fingerprint) throw new SearchError('BAD_PAGE', 'page_token', 'made for other filters');
  return BigInt(bound);
}

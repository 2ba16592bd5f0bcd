// Paging through SearchEntries with the filters the server does not have: several risk rule ids
// (one server search per rule, merged newest first) and severities (checked here on each
// result's findings). Results stream: a page is fetched only when the previous one is used up.
import { InvalidArgumentError } from 'commander';
import type { SearchResult } from '../../packages/proto/index.js';
import type { LedgerApi, SearchInit } from './ledger-client.js';

/** The server's page size cap (DESIGN 5.1). */
export const MAX_PAGE = 1000;
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
/** More rule ids or severities than this in one command is not a query anyone means. */
const MAX_LIST = 32;
const RULE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** `--risk a,b --risk c`: rule ids, repeatable or comma-separated. */
export function collectRules(text: string, previous: string[] | undefined): string[] {
  const out = [...(previous ?? [])];
  for (const part of text.split(',')) {
    const id = part.trim();
    if (!RULE_ID.test(id))
      throw new InvalidArgumentError(`"${id.slice(0, 64)}" is not a rule id (like tls-removed)`);
    if (!out.includes(id)) out.push(id);
  }
  if (out.length > MAX_LIST) throw new InvalidArgumentError(`at most ${MAX_LIST} rule ids`);
  return out;
}

/** `--severity critical,high`: repeatable or comma-separated. */
export function collectSeverities(text: string, previous: string[] | undefined): string[] {
  const out = [...(previous ?? [])];
  for (const part of text.split(',')) {
    const s = part.trim();
    if (!(SEVERITIES as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(`expected ${SEVERITIES.join(', ')} (one or several, comma-separated)`);
    }
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

export interface StreamFilters {
  /** The request without risk, page size and token. */
  request: SearchInit;
  risks: readonly string[];
  severities: readonly string[];
  limit: number;
}

/** Matching results, newest first, at most limit. */
export async function* searchStream(api: LedgerApi, f: StreamFilters): AsyncGenerator<SearchResult> {
  const clientSide = f.risks.length > 1 || f.severities.length > 0;
  const pageSize = clientSide ? MAX_PAGE : Math.min(MAX_PAGE, f.limit);
  const streams = (f.risks.length === 0 ? [undefined] : f.risks).map((risk) =>
    pages(api, risk === undefined ? f.request : { ...f.request, risk }, pageSize),
  );
  let shown = 0;
  for await (const r of mergeNewestFirst(streams)) {
    if (f.severities.length > 0 && !r.findings.some((x) => f.severities.includes(x.severity))) continue;
    yield r;
    if (++shown >= f.limit) return;
  }
}

async function* pages(api: LedgerApi, req: SearchInit, pageSize: number): AsyncGenerator<SearchResult> {
  let pageToken = '';
  do {
    const res = await api.searchEntries({ ...req, pageSize, pageToken });
    for (const r of res.results) if (r.entry !== undefined) yield r;
    pageToken = res.nextPageToken;
  } while (pageToken !== '');
}

/** Merges streams that are each newest first (descending index), dropping repeated indexes. */
async function* mergeNewestFirst(streams: AsyncGenerator<SearchResult>[]): AsyncGenerator<SearchResult> {
  if (streams.length === 1) {
    yield* streams[0] as AsyncGenerator<SearchResult>;
    return;
  }
  const heads = await Promise.all(streams.map((s) => s.next()));
  for (;;) {
    let best = -1;
    let bestIndex = -1n;
    heads.forEach((h, i) => {
      const idx = h.done === true ? undefined : h.value.entry?.index;
      if (idx !== undefined && idx > bestIndex) {
        best = i;
        bestIndex = idx;
      }
    });
    if (best < 0) return;
    const head = heads[best] as IteratorYieldResult<SearchResult>;
    yield head.value;
    await Promise.all(
      heads.map(async (h, i) => {
        if (h.done !== true && h.value.entry?.index === bestIndex)
          heads[i] = await (streams[i] as AsyncGenerator<SearchResult>).next();
      }),
    );
  }
}

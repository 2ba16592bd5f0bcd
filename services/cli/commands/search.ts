// `ingress-ledger search` (DESIGN 5.1): find entries by the fields of their change, newest first.
import { Command } from 'commander';
import type { Finding, SearchResult } from '../../../packages/proto/index.js';
import { type ClientOptions, changeOfLeaf, openLedger, withClientOptions } from '../client-options.js';
import { parseTimeOrAgo, positiveInt, type TimePoint, timestampOf } from '../flags.js';
import { callFailed, type LedgerApi, type SearchInit } from '../ledger-client.js';
import { printJson, println, red, table, yellow } from '../output.js';
import { changeCells, whyCell } from '../render-change.js';

/** Results shown when --limit is not given. */
export const DEFAULT_SEARCH_LIMIT = 100;
/** The server's page size cap (DESIGN 5.1). */
const MAX_PAGE = 1000;

export interface SearchFilters {
  cluster?: string;
  namespace?: string;
  name?: string;
  user?: string;
  action?: string;
  verb?: string;
  resource?: string;
  host?: string;
  responseCode?: number;
  risk?: string;
  since?: TimePoint;
  until?: TimePoint;
  text?: string;
  reasonMissing?: boolean;
  attribution?: string;
  limit?: number;
}

/** Adds the filter flags of DESIGN 5.1 to a command (search, and prove --bundle). */
export function withSearchFilters(cmd: Command): Command {
  return cmd
    .option('--cluster <cluster>', 'cluster the change was observed in')
    .option('--namespace <namespace>', 'object namespace')
    .option('--name <name>', 'object name')
    .option('--user <username>', 'exact user.username of the actor')
    .option('--action <action>', 'create, update or delete')
    .option('--verb <verb>', 'create, update, patch, delete or deletecollection')
    .option('--resource <resource>', 'resource, like ingresses or httproutes')
    .option('--host <host>', 'a host the object serves')
    .option('--response-code <code>', 'HTTP status of the request', positiveInt(599))
    .option('--risk <rule>', 'a risk rule id with a finding on the entry, like tls-removed')
    .option(
      '--since <time>',
      'changes at or after: a duration ago (2h, 7d) or an RFC 3339 time',
      parseTimeOrAgo(),
    )
    .option('--until <time>', 'changes at or before: an RFC 3339 time or a duration ago', parseTimeOrAgo())
    .option('--text <query>', 'full-text query over reason, user, names, hosts and annotations')
    .option('--reason-missing', 'only changes that state no reason (docs/attribution.md)')
    .option(
      '--attribution <tool[:name]>',
      'only changes attributed to a tool, or a tool and name: argocd, argocd:shop, helm:web',
    )
    .option(
      '--limit <n>',
      `at most this many results (default ${DEFAULT_SEARCH_LIMIT})`,
      positiveInt(1_000_000),
    );
}

export function searchRequest(f: SearchFilters): SearchInit {
  const req: Record<string, unknown> = {};
  for (const k of [
    'cluster',
    'namespace',
    'name',
    'user',
    'action',
    'verb',
    'resource',
    'host',
    'risk',
    'text',
    'attribution',
  ] as const) {
    const v = f[k];
    if (v !== undefined) req[k] = v;
  }
  if (f.responseCode !== undefined) req['responseCode'] = f.responseCode;
  if (f.reasonMissing === true) req['reasonMissing'] = true;
  if (f.since !== undefined) req['since'] = timestampOf(f.since);
  if (f.until !== undefined) req['until'] = timestampOf(f.until);
  return req as SearchInit;
}

/** Pages through SearchEntries until limit results or the end. */
export async function* searchAll(api: LedgerApi, f: SearchFilters): AsyncGenerator<SearchResult> {
  const limit = f.limit ?? DEFAULT_SEARCH_LIMIT;
  let seen = 0;
  let pageToken = '';
  do {
    const pageSize = Math.min(MAX_PAGE, limit - seen);
    const res = await api.searchEntries({ ...searchRequest(f), pageSize, pageToken });
    for (const r of res.results) {
      if (seen >= limit) return;
      seen++;
      yield r;
    }
    pageToken = res.nextPageToken;
  } while (pageToken !== '' && seen < limit);
}

export function findingJson(f: Finding) {
  return {
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    ...(f.path !== '' ? { path: f.path } : {}),
  };
}

export function severityLabel(f: Finding): string {
  const s = `${f.severity} ${f.rule}`;
  return f.severity === 'critical' || f.severity === 'high' ? red(s) : yellow(s);
}

interface SearchOptions extends ClientOptions, SearchFilters {}

export function searchCommand(): Command {
  return withSearchFilters(withClientOptions(new Command('search')))
    .description(
      'find entries by cluster, object, user, action, host, risk, time, text, reason or attribution (newest first)',
    )
    .action((o: SearchOptions) => search(o));
}

async function search(o: SearchOptions): Promise<void> {
  const api = openLedger(o);
  const rows: string[][] = [];
  try {
    for await (const r of searchAll(api, o)) {
      const e = r.entry;
      if (e === undefined) continue;
      const change = changeOfLeaf(e.leaf);
      if (o.json === true) {
        printJson({ index: e.index, change: change ?? null, findings: r.findings.map(findingJson) });
        continue;
      }
      rows.push(
        change === undefined
          ? [e.index.toString(), red('(malformed leaf)')]
          : [...changeCells(e.index, change), whyCell(change), r.findings.map(severityLabel).join(', ')],
      );
    }
  } catch (err) {
    throw callFailed(o.grpc, err);
  } finally {
    api.close();
  }
  if (o.json !== true) {
    println(
      rows.length === 0
        ? 'no matching entries'
        : table(['INDEX', 'TIME', 'CLUSTER', 'ACTION', 'OBJECT', 'USER', 'HTTP', 'WHY', 'FINDINGS'], rows),
    );
  }
}

// `ingress-ledger search` (DESIGN 5.1): find entries by the fields of their change, newest first,
// each verified when a policy is known.
import { Command } from 'commander';
import type { Finding, SearchResult } from '../../../packages/proto/index.js';
import {
  changeOfLeaf,
  entryVerifier,
  openLedger,
  type VerifyingOptions,
  withClientOptions,
  withVerifyOptions,
} from '../client-options.js';
import { CliError } from '../errors.js';
import { parseTimeOrAgo, positiveInt, type TimePoint, timestampOf } from '../flags.js';
import { callFailed, type LedgerApi, type SearchInit } from '../ledger-client.js';
import { printJson, println, red, table, yellow } from '../output.js';
import { type OutputFormat, outputFormat, printYamlDocument, withOutputFormat } from '../output-format.js';
import { VerdictTally, verdictLabel, WIDE_HEADERS, wideCells } from '../read-view.js';
import { changeCells, whyCell } from '../render-change.js';
import { collectRules, collectSeverities, searchStream } from '../search-stream.js';
import { type EntryVerdict, type EntryVerifier, verdictJson } from '../verification/entry-verifier.js';
import { VerificationError } from '../verification/errors.js';

/** Results shown when --limit is not given. */
export const DEFAULT_SEARCH_LIMIT = 100;
/** Results verified together: their inclusion proofs are fetched in parallel. */
const VERIFY_BATCH = 100;

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
  risk?: string[];
  severity?: string[];
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
    .option(
      '--risk <rules>',
      'risk rule ids with a finding on the entry, like tls-removed (repeatable or comma-separated; any of them)',
      collectRules,
    )
    .option(
      '--severity <levels>',
      'entries with a finding of these severities: critical, high, medium, low (comma-separated)',
      collectSeverities,
    )
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

/** The server's filters (every one but risk, which searchAll sends per rule). */
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

/** Every matching result, newest first, up to the limit. */
export function searchAll(api: LedgerApi, f: SearchFilters): AsyncGenerator<SearchResult> {
  return searchStream(api, {
    request: searchRequest(f),
    risks: f.risk ?? [],
    severities: f.severity ?? [],
    limit: f.limit ?? DEFAULT_SEARCH_LIMIT,
  });
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

interface SearchOptions extends VerifyingOptions, SearchFilters {
  output?: OutputFormat;
}

export function searchCommand(): Command {
  return withOutputFormat(withVerifyOptions(withSearchFilters(withClientOptions(new Command('search')))))
    .description(
      'find entries by cluster, object, user, action, host, risk, time, text, reason or attribution (newest first); each is verified when a policy is known',
    )
    .action((o: SearchOptions) => search(o));
}

async function search(o: SearchOptions): Promise<void> {
  const format = outputFormat(o);
  const api = openLedger(o);
  const tally = new VerdictTally();
  const rows: string[][] = [];
  try {
    const verifier = entryVerifier(o, api);
    if (verifier !== undefined) await call(o.grpc, () => verifier.refresh());
    let batch: SearchResult[] = [];
    const flush = async () => {
      const verdicts = await verdictsOf(verifier, batch, o.grpc);
      batch.forEach((r, i) => {
        show(r, verdicts[i], format, rows);
        tally.add(r.entry?.index ?? 0n, verdicts[i]);
      });
      batch = [];
    };
    await call(o.grpc, async () => {
      for await (const r of searchAll(api, o)) {
        batch.push(r);
        if (batch.length >= VERIFY_BATCH) await flush();
      }
    });
    await flush();
    if (format === 'table' || format === 'wide') {
      const header = ['INDEX', 'TIME', 'CLUSTER', 'ACTION', 'OBJECT', 'USER', 'HTTP'];
      if (format === 'wide') header.push(...WIDE_HEADERS);
      header.push('WHY', 'FINDINGS');
      if (verifier !== undefined) header.push('VERIFIED');
      println(rows.length === 0 ? 'no matching entries' : table(header, rows));
    }
  } finally {
    api.close();
  }
  tally.finish();
}

async function verdictsOf(
  verifier: EntryVerifier | undefined,
  batch: SearchResult[],
  address: string,
): Promise<(EntryVerdict | undefined)[]> {
  if (verifier === undefined) return batch.map(() => undefined);
  const entries = batch.flatMap((r) => (r.entry === undefined ? [] : [r.entry]));
  return call(address, () => verifier.verify(entries));
}

function show(r: SearchResult, v: EntryVerdict | undefined, format: OutputFormat, rows: string[][]): void {
  const e = r.entry;
  if (e === undefined) return;
  const change = changeOfLeaf(e.leaf);
  const findings = r.findings.map(findingJson);
  if (format === 'json' || format === 'yaml') {
    const line = {
      index: e.index,
      change: change ?? null,
      findings,
      ...(v !== undefined ? { verification: verdictJson(v) } : {}),
    };
    if (format === 'json') printJson(line);
    else printYamlDocument(line);
    return;
  }
  const verdict = v === undefined ? [] : [verdictLabel(v)];
  if (change === undefined) {
    rows.push([e.index.toString(), red('(malformed leaf)'), ...verdict]);
    return;
  }
  rows.push([
    ...changeCells(e.index, change),
    ...(format === 'wide' ? wideCells(change) : []),
    whyCell(change),
    r.findings.map(severityLabel).join(', '),
    ...verdict,
  ]);
}

/** Runs a ledger call; gRPC failures become one-line UNAVAILABLE errors, verdicts pass through. */
export async function call<T>(address: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof VerificationError || err instanceof CliError) throw err;
    throw callFailed(address, err);
  }
}

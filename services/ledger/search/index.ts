// CONTRACT STUB (search engineer implements): the search index, history and risk findings beside the log.
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Change } from '../../../packages/change/index.js';
import type { GetObjectHistoryRequest, SearchEntriesRequest } from '../../../packages/proto/index.js';

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  path: string;
}
export interface IndexInput {
  index: bigint;
  change: Change;
  /** Out-of-leaf bodies by lower-case hex sha256. */
  bodies: ReadonlyMap<string, Uint8Array>;
}
export interface DiffOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  from?: string;
  to?: string;
}
export interface SearchIndexOptions {
  logger: Logger;
  registry?: Registry;
  /** A YAML file with per-rule settings (on/off, severity, allow-lists). */
  rulesFile?: string;
}

export class SearchIndex {
  /** Creates its tables in db if missing. db is the ledger's database (safeIntegers on). */
  constructor(_db: Database.Database, _opts: SearchIndexOptions) {}
  /** Called inside the ledger's append transaction, in index order. Rule errors are caught and counted. */
  add(_entries: readonly IndexInput[]): { index: bigint; cluster: string; findings: Finding[] }[] {
    return [];
  }
  /** Throws RpcError(INVALID_ARGUMENT) for bad filters or tokens. Only indexes < publishedSize. */
  search(
    _req: SearchEntriesRequest,
    _publishedSize: bigint,
  ): { results: { index: bigint; findings: Finding[] }[]; nextPageToken: string } {
    return { results: [], nextPageToken: '' };
  }
  history(
    _req: GetObjectHistoryRequest,
    _publishedSize: bigint,
  ): { versions: { index: bigint; findings: Finding[]; diff: DiffOp[] }[] } {
    return { versions: [] };
  }
}

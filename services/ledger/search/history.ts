// GetObjectHistory (DESIGN 5.1): every version of one object in log order, each with the
// structural diff of the stored object against the previous version, so a patch shows its effect
// on the object rather than the patch body.
import type Database from 'better-sqlite3';
import type { GetObjectHistoryRequest } from '../../../packages/proto/index.js';
import {
  type DiffOp,
  diffObjects,
  type Finding,
  storedAfter,
  succeeded,
} from '../../../packages/risk/index.js';
import { SearchError } from './errors.js';
import { MAX_FILTER_CHARS } from './filters.js';
import type { LeafReader } from './leaf-reader.js';

/** Most versions one history answer carries (the newest are kept). */
export const MAX_HISTORY_VERSIONS = 5000;

export interface HistoryVersion {
  index: bigint;
  findings: Finding[];
  diff: DiffOp[];
}

export function historyQuery(req: GetObjectHistoryRequest): { where: string; params: string[] } {
  for (const [field, v] of [
    ['cluster', req.cluster],
    ['namespace', req.namespace],
    ['name', req.name],
    ['uid', req.uid],
    ['resource', req.resource],
  ] as const) {
    if (v.length > MAX_FILTER_CHARS)
      throw new SearchError('TOO_LONG', field, `longer than ${MAX_FILTER_CHARS} characters`);
  }
  const where: string[] = [];
  const params: string[] = [];
  if (req.uid !== '') {
    where.push('uid = ?');
    params.push(req.uid);
  } else {
    if (req.name === '') throw new SearchError('MISSING_FIELD', 'name', 'name or uid is required');
    where.push('namespace = ?', 'name = ?');
    params.push(req.namespace, req.name);
  }
  if (req.cluster !== '') {
    where.push('cluster = ?');
    params.push(req.cluster);
  }
  if (req.resource !== '') {
    where.push('resource = ?');
    params.push(req.resource);
  }
  return { where: where.join(' AND '), params };
}

export function objectHistory(
  db: Database.Database,
  previous: PreviousStatement,
  reader: LeafReader,
  findingsOf: (idx: bigint) => Finding[],
  req: GetObjectHistoryRequest,
  publishedSize: bigint,
): HistoryVersion[] {
  const q = historyQuery(req);
  const rows = db
    .prepare<unknown[], { idx: bigint; obj: string; name: string }>(
      `SELECT idx, obj, name FROM (SELECT idx, obj, name FROM search_entries WHERE ${q.where} AND idx < ? ORDER BY idx DESC LIMIT ?) ORDER BY idx`,
    )
    .all(...q.params, publishedSize, MAX_HISTORY_VERSIONS);
  if (rows.length === 0) return [];
  // The state each object had just before the first version shown (when history is cut).
  const state = new Map<string, unknown>();
  const versions: HistoryVersion[] = [];
  for (const { idx, obj, name } of rows) {
    const change = reader.change(idx);
    if (change === undefined) continue;
    if (!state.has(obj)) state.set(obj, previousState(previous, reader, name, obj, idx));
    const before = state.get(obj) ?? null;
    const after = storedAfter(change, before);
    const diff = succeeded(change) ? diffObjects(before, after) : [];
    state.set(obj, after);
    versions.push({ index: idx, findings: findingsOf(idx), diff });
  }
  return versions;
}

export type PreviousStatement = Database.Statement<
  [string, string, bigint],
  { idx: bigint; stage_us: bigint }
>;

export function preparePrevious(db: Database.Database): PreviousStatement {
  // The name index narrows to a handful of rows; obj tells same-named objects apart.
  return db.prepare(
    'SELECT idx, stage_us FROM search_entries WHERE name = ? AND obj = ? AND idx < ? AND stored = 1 ORDER BY idx DESC LIMIT 1',
  );
}

/** The stored object of `obj` just before `idx`: from the last entry that set it, or null. */
export function previousState(
  stmt: PreviousStatement,
  reader: LeafReader,
  name: string,
  obj: string,
  idx: bigint,
): unknown {
  const prev = stmt.get(name, obj, idx);
  if (prev === undefined) return null;
  const change = reader.change(prev.idx);
  return change === undefined ? null : storedAfter(change, null);
}

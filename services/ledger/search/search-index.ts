// The search index beside the log: derived rows, attributes, full text and risk findings for each
// entry, written by the follower (follower.ts) after the entries commit and read by
// SearchEntries/GetObjectHistory, which see only entries already indexed.
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Change } from '../../../packages/change/index.js';
import type { GetObjectHistoryRequest, SearchEntriesRequest } from '../../../packages/proto/index.js';
import {
  defaultRiskConfig,
  deniedActor,
  type Finding,
  parseRiskConfig,
  type RiskConfig,
  RiskEngine,
  type Severity,
  storedAfter,
} from '../../../packages/risk/index.js';
import { type SearchMetrics, searchMetrics } from '../metrics.js';
import {
  type Derived,
  deriveRow,
  describedObject,
  objectKey,
  ROW_COLUMNS,
  setsStoredObject,
} from './entry-row.js';
import { SearchError } from './errors.js';
import { buildQuery, encodePageToken } from './filters.js';
import { pairColumns } from './fts-pairs.js';
import {
  type HistoryVersion,
  objectHistory,
  type PreviousStatement,
  preparePrevious,
  previousState,
} from './history.js';
import { LeafReader, resolveBodies } from './leaf-reader.js';
import { RecentVersions } from './recent-versions.js';
import { createSearchTables } from './schema.js';
import { rfc3339Micros } from './timestamp.js';
import type { IndexInput, SearchIndexOptions } from './types.js';

/** Reads the rules file once; a bad file stops start-up (RiskError BAD_CONFIG). */
export function loadRiskConfig(rulesFile: string | undefined): RiskConfig {
  return rulesFile === undefined ? defaultRiskConfig() : parseRiskConfig(readFileSync(rulesFile, 'utf8'));
}

/** The index of the ledger database: see index.ts for the contract. */
export class SearchIndex {
  readonly #db: Database.Database;
  readonly #log: Logger;
  readonly #metrics: SearchMetrics | undefined;
  readonly #engine: RiskEngine;
  readonly #reader: LeafReader;
  readonly #insertEntry: Database.Statement;
  readonly #insertAttr: Database.Statement;
  readonly #insertFinding: Database.Statement;
  readonly #insertFts: Database.Statement;
  readonly #insertPairs: Database.Statement;
  readonly #insertSlow: Database.Statement;
  readonly #pairsComplete: Database.Statement<[], { value: bigint }>;
  readonly #anySlow: Database.Statement<[], { n: bigint }>;
  readonly #findings: Database.Statement<
    [bigint],
    { rule: string; severity: string; message: string; path: string }
  >;
  readonly #previous: PreviousStatement;
  readonly #writeAtomically: (d: Derived, findings: readonly Finding[]) => void;
  readonly #recent = new RecentVersions();
  readonly #setIndexed: Database.Statement<[bigint]>;
  readonly #getIndexed: Database.Statement<[], bigint>;
  readonly #queries = new Map<string, Database.Statement<unknown[], { idx: bigint }>>();

  constructor(db: Database.Database, opts: SearchIndexOptions) {
    this.#db = db;
    this.#log = opts.logger;
    this.#metrics = searchMetrics(opts.registry);
    this.#engine = new RiskEngine(loadRiskConfig(opts.rulesFile));
    createSearchTables(db);
    const attribution = db
      .prepare<[], { value: bigint }>("SELECT value FROM search_meta WHERE key = 'attribution'")
      .safeIntegers(true)
      .get();
    if (attribution?.value === 0n) {
      this.#log.warn(
        'search: the index predates attribution; entries indexed before may be missing from --attribution results until `ingress-ledger reindex` runs',
      );
    }
    this.#reader = new LeafReader(db);
    this.#previous = preparePrevious(db);
    // Inside the ledger's transaction this is a savepoint.
    this.#writeAtomically = db.transaction((d: Derived, findings: readonly Finding[]) =>
      this.#write(d, findings),
    );
    this.#insertEntry = db.prepare(
      `INSERT INTO search_entries (${ROW_COLUMNS.join(', ')}) VALUES (${ROW_COLUMNS.map(() => '?').join(', ')})`,
    );
    this.#insertAttr = db.prepare('INSERT INTO search_attrs (kind, value, idx) VALUES (?, ?, ?)');
    this.#insertFinding = db.prepare(
      'INSERT INTO search_findings (idx, seq, rule, severity, message, path) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#insertFts = db.prepare(
      'INSERT INTO search_fts (rowid, reason, username, names, hosts, annotations) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#insertPairs = db.prepare(
      'INSERT INTO search_fts_pairs (rowid, reason, username, names, hosts, annotations) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#insertSlow = db.prepare('INSERT INTO search_fts_slow (idx) VALUES (?)');
    this.#pairsComplete = db.prepare("SELECT value FROM search_meta WHERE key = 'fts_pairs'");
    this.#anySlow = db.prepare('SELECT EXISTS (SELECT 1 FROM search_fts_slow) AS n');
    this.#pairsComplete.safeIntegers(true);
    this.#anySlow.safeIntegers(true);
    this.#setIndexed = db.prepare("UPDATE search_progress SET indexed = ? WHERE key = 'indexed'");
    this.#getIndexed = db
      .prepare<[], bigint>("SELECT indexed FROM search_progress WHERE key = 'indexed'")
      .pluck();
    this.#primeBurstWindow();
    this.#findings = db.prepare(
      'SELECT rule, severity, message, path FROM search_findings WHERE idx = ? ORDER BY seq',
    );
  }

  #primeBurstWindow(): void {
    const windowUs = BigInt(this.#engine.config.burstWindowSeconds) * 1_000_000n;
    const rows = this.#db
      .prepare<[bigint], { username: string; source_ips: string; stage_us: bigint }>(
        `SELECT username, source_ips, stage_us FROM search_entries
         WHERE stage_us >= (SELECT coalesce(max(stage_us), 0) FROM search_entries) - ? AND response_code IN (401, 403)
         ORDER BY idx`,
      )
      .all(windowUs);
    this.#engine.primeDenials(
      rows.map((r) => ({
        actor: deniedActor(r.username, JSON.parse(r.source_ips) as string[]),
        atMs: Number(r.stage_us / 1000n),
      })),
    );
  }

  add(entries: readonly IndexInput[]): { index: bigint; cluster: string; findings: Finding[] }[] {
    const out: { index: bigint; cluster: string; findings: Finding[] }[] = [];
    // Objects changed earlier in this batch: their leaves may not be readable from entries yet.
    const batchState = new Map<string, unknown>();
    for (const input of entries) {
      let change: Change;
      try {
        change = resolveBodies(input.change, (h) => input.bodies.get(h) ?? this.#reader.body(h));
      } catch (error) {
        change = input.change;
        this.#log.warn({ index: String(input.index), err: error }, 'search: out-of-leaf body unreadable');
      }
      const obj = objectKey(change);
      const before = batchState.has(obj)
        ? batchState.get(obj)
        : this.#previousOf(change.object.name, obj, input.index);
      const after = storedAfter(change, before);
      if (setsStoredObject(change)) {
        batchState.set(obj, after);
        this.#recent.remember(obj, input.index, rfc3339Micros(change.stageTimestamp) ?? 0n, after);
      }
      const { findings, failures } = this.#engine.evaluate({ change, before, after });
      for (const f of failures) {
        this.#metrics?.ruleFailures.inc({ rule: f.rule });
        this.#log.error({ rule: f.rule, index: String(input.index), err: f.error }, 'risk rule failed');
      }
      let derived: Derived | undefined;
      try {
        derived = deriveRow(input.index, change, describedObject(change, before, after));
      } catch (error) {
        this.#metrics?.indexFailures.inc();
        this.#log.error({ index: String(input.index), err: error }, 'search: entry not indexed');
      }
      if (derived !== undefined) {
        try {
          // A savepoint: a failed index write is undone alone, and the entry is still logged.
          this.#writeAtomically(derived, findings);
        } catch (error) {
          this.#metrics?.indexFailures.inc();
          this.#log.error(
            { index: String(input.index), err: error },
            'search: entry not indexed; run reindex',
          );
        }
      }
      for (const f of findings) this.#metrics?.findings.inc({ rule: f.rule });
      out.push({ index: input.index, cluster: change.cluster, findings });
    }
    // In the caller's transaction: the position moves with the rows it covers.
    const last = entries.at(-1);
    if (last !== undefined) this.#setIndexed.run(last.index + 1n);
    return out;
  }

  #previousOf(name: string, obj: string, idx: bigint): unknown {
    try {
      const row = this.#previous.get(name, obj, idx);
      if (row === undefined) return null;
      // Parsing the previous leaf is the dearest step of indexing; most objects change again soon.
      const hit = this.#recent.lookup(obj, row.idx, row.stage_us);
      if (hit.found) return hit.object;
      return previousState(this.#previous, this.#reader, name, obj, idx);
    } catch (error) {
      this.#log.warn({ index: String(idx), err: error }, 'search: previous version unreadable');
      return null;
    }
  }

  #write(d: Derived, findings: readonly Finding[]): void {
    const idx = d.row.idx;
    this.#insertEntry.run(ROW_COLUMNS.map((c) => d.row[c]));
    for (const [kind, value] of d.attrs) this.#insertAttr.run(kind, value, idx);
    findings.forEach((f, seq) => {
      this.#insertFinding.run(idx, BigInt(seq), f.rule, f.severity, f.message, f.path);
    });
    const t = d.fts;
    this.#insertFts.run(idx, t.reason, t.username, t.names, t.hosts, t.annotations);
    const p = pairColumns(t);
    if (p === undefined) this.#insertSlow.run(idx);
    else this.#insertPairs.run(idx, ...p);
  }

  /** Entries below this index are indexed (the follower's committed position). */
  indexedSize(): bigint {
    return BigInt(this.#getIndexed.get() ?? 0n);
  }

  /** Queries see only entries both published and indexed. */
  #bound(publishedSize: bigint): bigint {
    const indexed = this.indexedSize();
    return indexed < publishedSize ? indexed : publishedSize;
  }

  findingsOf(idx: bigint): Finding[] {
    return this.#findings.all(idx).map((r) => ({ ...r, severity: r.severity as Severity }));
  }

  search(req: SearchEntriesRequest, publishedSize: bigint) {
    const end = this.#metrics?.queries.startTimer({ method: 'SearchEntries' });
    try {
      const q = buildQuery(
        req,
        req.text === ''
          ? undefined
          : { pairs: this.#pairsComplete.get()?.value === 1n, slow: this.#anySlow.get()?.n === 1n },
      );
      const visible = this.#bound(publishedSize);
      const bound = q.before !== undefined && q.before < visible ? q.before : visible;
      const sql = `SELECT e.idx FROM search_entries e WHERE ${['e.idx < ?', ...q.where].join(' AND ')} ORDER BY e.idx DESC LIMIT ?`;
      let stmt = this.#queries.get(sql);
      if (stmt === undefined) {
        stmt = this.#db.prepare(sql);
        this.#queries.set(sql, stmt);
      }
      const rows = this.#run(stmt, [bound, ...q.params, BigInt(q.pageSize + 1)]);
      const page = rows.slice(0, q.pageSize);
      const last = page.at(-1);
      const nextPageToken =
        rows.length > q.pageSize && last !== undefined ? encodePageToken(last.idx, q.fingerprint) : '';
      return {
        results: page.map((r) => ({ index: r.idx, findings: this.findingsOf(r.idx) })),
        nextPageToken,
      };
    } finally {
      end?.();
    }
  }

  #run(stmt: Database.Statement<unknown[], { idx: bigint }>, params: unknown[]): { idx: bigint }[] {
    try {
      return stmt.all(...params);
    } catch (error) {
      // Terms are quoted, so this is defence in depth: an FTS5 parse error is the query's fault.
      if (
        error instanceof Error &&
        (error as { code?: unknown }).code === 'SQLITE_ERROR' &&
        /fts5|syntax|unterminated/i.test(error.message)
      ) {
        throw new SearchError('BAD_TEXT', 'text', 'not a valid full-text query');
      }
      throw error;
    }
  }

  history(req: GetObjectHistoryRequest, publishedSize: bigint): { versions: HistoryVersion[] } {
    const end = this.#metrics?.queries.startTimer({ method: 'GetObjectHistory' });
    try {
      return {
        versions: objectHistory(
          this.#db,
          this.#previous,
          this.#reader,
          (i) => this.findingsOf(i),
          req,
          this.#bound(publishedSize),
        ),
      };
    } finally {
      end?.();
    }
  }
}

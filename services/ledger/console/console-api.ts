// The console's data API: JSON over the ledger's read HTTP listener. It calls the same search
// index, history and store functions as the gRPC API (api.ts), with the same bound (the published
// checkpoint), so the two can never disagree on a filter. What it adds: each entry's inclusion
// proof against the checkpoint sent beside it, so that the browser verifies what it shows.
// Every handler reads the checkpoint and answers without an await in between: better-sqlite3 is
// synchronous, so every proof in one answer is against that answer's checkpoint.
import { bodyRefsOfLeaf } from '../../../packages/change/index.js';
import { formatTlogProof } from '../../../packages/tlog/index.js';
import type { PublishedCheckpoint } from '../checkpointer.js';
import { SearchError, type SearchIndex } from '../search/index.js';
import type { LogStore } from '../store.js';
import {
  checkpointJson,
  type EntriesJson,
  type EntryJson,
  entryJson,
  type HistoryJson,
  type TrustJson,
} from './entry-json.js';
import { ConsoleError } from './errors.js';
import { type EvidenceFile, evidenceFiles } from './evidence-bundle.js';
import { historyRequestOf, queryParams, searchRequestOf } from './query.js';

export interface ConsoleApiDeps {
  store: LogStore;
  /** The latest published (cosigned) checkpoint, or undefined before the first. */
  published: () => PublishedCheckpoint | undefined;
  search: SearchIndex | undefined;
  /** What the browser verifies against: the policy and the collector keys (re-read on SIGHUP). */
  trust: () => TrustJson;
}

export interface ConsoleApi {
  trust(): TrustJson;
  entries(search: string): EntriesJson;
  history(search: string): HistoryJson;
  bundle(search: string): { name: string; files: EvidenceFile[] };
  /** Entries below this are both published and searchable: the live view's signal to refresh. */
  visibleSize(): bigint;
}

const INDEX_RE = /^(0|[1-9][0-9]{0,18})$/;

export function consoleApi(d: ConsoleApiDeps): ConsoleApi {
  const published = (): PublishedCheckpoint => {
    const c = d.published();
    if (c === undefined) throw new ConsoleError('UNAVAILABLE', 'no checkpoint published yet');
    return c;
  };
  const searchIndex = (): SearchIndex => {
    if (d.search === undefined) throw new ConsoleError('UNAVAILABLE', 'search is not enabled on this ledger');
    return d.search;
  };
  const checked = <T>(query: () => T): T => {
    try {
      return query();
    } catch (err) {
      if (err instanceof SearchError) throw new ConsoleError('BAD_QUERY', err.message);
      throw err;
    }
  };
  const stored = (index: bigint) => {
    const row = d.store.entries(index, index + 1n)[0];
    if (row === undefined) throw new ConsoleError('NOT_FOUND', `index: ${index} is not in the log`);
    const bodies = bodyRefsOfLeaf(row.leaf).flatMap((ref) => {
      const data = d.store.body(ref.sha256);
      return data === undefined ? [] : [{ sha256: ref.sha256, data }];
    });
    return { index, leaf: row.leaf, bodies };
  };
  const served = (cp: PublishedCheckpoint, index: bigint, findings: EntryJson['findings']): EntryJson =>
    entryJson(stored(index), findings, d.store.inclusionProof(index, cp.size));

  return {
    trust: d.trust,

    entries(search) {
      const req = searchRequestOf(search);
      const cp = published();
      const page = checked(() => searchIndex().search(req, cp.size));
      const answer: EntriesJson = {
        checkpoint: checkpointJson(cp),
        entries: page.results.map((r) => served(cp, r.index, r.findings)),
      };
      if (page.nextPageToken !== '') answer.next = page.nextPageToken;
      return answer;
    },

    history(search) {
      const req = historyRequestOf(search);
      const cp = published();
      const { versions } = checked(() => searchIndex().history(req, cp.size));
      return {
        checkpoint: checkpointJson(cp),
        versions: versions.map((v) => ({
          ...served(cp, v.index, v.findings),
          diff: v.diff.map((op) => ({
            op: op.op,
            path: op.path,
            ...(op.from === undefined ? {} : { from: op.from }),
            ...(op.to === undefined ? {} : { to: op.to }),
          })),
        })),
      };
    },

    bundle(search) {
      const text = queryParams(search, ['index']).get('index') ?? '';
      if (!INDEX_RE.test(text)) throw new ConsoleError('BAD_QUERY', 'index: not a decimal number');
      const index = BigInt(text);
      const cp = published();
      if (index >= cp.size)
        throw new ConsoleError('NOT_FOUND', `index: ${index} is not in the published log`);
      const e = stored(index);
      const tlogProof = formatTlogProof({
        index,
        hashes: d.store.inclusionProof(index, cp.size),
        checkpoint: cp.note,
      });
      return {
        name: `entry-${index}-evidence.tar`,
        files: evidenceFiles({ ...e, tlogProof, checkpoint: cp, trust: d.trust() }),
      };
    },

    visibleSize() {
      const size = d.published()?.size ?? 0n;
      const indexed = d.search?.indexedSize() ?? size;
      return indexed < size ? indexed : size;
    },
  };
}

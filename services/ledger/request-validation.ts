// Every check of a Ledger RPC request, in one place (trillian's validate.go shape). Requests are
// hostile: each failure names the field and becomes INVALID_ARGUMENT, OUT_OF_RANGE or NOT_FOUND,
// decided against the latest *published* tree size so no answer refers to an unsigned tree. The
// search index checks its own requests as it plans the query and throws SearchError; this is where
// its codes become statuses.
import { status } from '@grpc/grpc-js';
import type {
  GetConsistencyProofRequest,
  GetEntriesRequest,
  GetInclusionProofRequest,
} from '../../packages/proto/index.js';
import { RpcError } from '../../packages/rpc/index.js';
import { HASH_SIZE } from '../../packages/tlog/index.js';
import { SearchError, type SearchErrorCode } from './search/index.js';

/** Most entries one GetEntries answer carries. */
export const MAX_ENTRIES_PER_CALL = 1000n;

const invalid = (field: string, why: string) => new RpcError(status.INVALID_ARGUMENT, `${field}: ${why}`);
const outOfRange = (field: string, why: string) => new RpcError(status.OUT_OF_RANGE, `${field}: ${why}`);

/** `requested` or, when 0, the published size; beyond the published size is OUT_OF_RANGE. */
function treeSize(field: string, requested: bigint, published: bigint): bigint {
  if (requested === 0n) return published;
  if (requested > published) throw outOfRange(field, `${requested} > published tree size ${published}`);
  return requested;
}

export type InclusionTarget = { index: bigint; size: bigint } | { leafHash: Uint8Array; size: bigint };

export function checkInclusionRequest(req: GetInclusionProofRequest, published: bigint): InclusionTarget {
  const size = treeSize('tree_size', req.treeSize, published);
  switch (req.leaf.case) {
    case 'index':
      if (req.leaf.value >= size) throw outOfRange('index', `${req.leaf.value} >= tree size ${size}`);
      return { index: req.leaf.value, size };
    case 'leafHash':
      if (req.leaf.value.length !== HASH_SIZE) {
        throw invalid('leaf_hash', `${req.leaf.value.length} bytes, want ${HASH_SIZE}`);
      }
      return { leafHash: req.leaf.value, size };
    default:
      throw invalid('leaf', 'set index or leaf_hash');
  }
}

export function checkConsistencyRequest(
  req: GetConsistencyProofRequest,
  published: bigint,
): { from: bigint; to: bigint } {
  if (req.fromSize === 0n) throw invalid('from_size', 'must be at least 1');
  const to = treeSize('to_size', req.toSize, published);
  if (req.fromSize > published)
    throw outOfRange('from_size', `${req.fromSize} > published tree size ${published}`);
  if (req.fromSize > to) throw invalid('from_size', `${req.fromSize} > to_size ${to}`);
  return { from: req.fromSize, to };
}

export function checkEntriesRequest(
  req: GetEntriesRequest,
  published: bigint,
): { start: bigint; end: bigint } {
  if (req.end <= req.start) throw invalid('end', `${req.end} <= start ${req.start}`);
  if (req.start >= published) throw outOfRange('start', `${req.start} >= published tree size ${published}`);
  let end = req.end < published ? req.end : published;
  if (end - req.start > MAX_ENTRIES_PER_CALL) end = req.start + MAX_ENTRIES_PER_CALL;
  return { start: req.start, end };
}

export function checkWatchFrom(fromIndex: bigint): bigint {
  // Any index is acceptable: a watcher may wait for entries that do not exist yet.
  return fromIndex;
}

export function noCheckpoint(): RpcError {
  return new RpcError(status.UNAVAILABLE, 'no checkpoint published yet');
}

export function notFound(field: string, why: string): RpcError {
  return new RpcError(status.NOT_FOUND, `${field}: ${why}`);
}

/** The status of each way the search index refuses a request: all of them are the client's. */
const SEARCH_STATUS: Record<SearchErrorCode, status> = {
  TOO_LONG: status.INVALID_ARGUMENT,
  BAD_VALUE: status.INVALID_ARGUMENT,
  BAD_TEXT: status.INVALID_ARGUMENT,
  BAD_PAGE: status.INVALID_ARGUMENT,
  MISSING_FIELD: status.INVALID_ARGUMENT,
};

/** The status a SearchError becomes; its message ("field: why") names only what the client sent. */
export function searchStatus(err: SearchError): RpcError {
  return new RpcError(SEARCH_STATUS[err.code], err.message);
}

/** Runs a search or history query, turning the index's refusal of the request into its status. */
export function checkedSearch<T>(query: () => T): T {
  try {
    return query();
  } catch (err) {
    if (err instanceof SearchError) throw searchStatus(err);
    throw err;
  }
}

export function searchDisabled(): RpcError {
  return new RpcError(status.UNIMPLEMENTED, 'search is not enabled');
}

// The read side of the Ledger gRPC API as the CLI uses it (through packages/rpc). Everything it
// returns is data for the verification code to check; nothing here decides whether the log is honest.
import { create, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  type Checkpoint,
  type ConsistencyProof,
  type Entry,
  GetEntriesRequestSchema,
  type GetObjectHistoryRequestSchema,
  type GetObjectHistoryResponse,
  type InclusionProof,
  Ledger,
  type SearchEntriesRequestSchema,
  type SearchEntriesResponse,
} from '../../packages/proto/index.js';
import {
  asBytes,
  channelCredentials,
  createClient,
  methodPath,
  RpcError,
  type TlsFiles,
} from '../../packages/rpc/index.js';
import { explainUnavailable } from './connection-failure.js';
import { CliError } from './errors.js';
import { readCapped } from './inputs.js';

export type { TlsFiles };
export type SearchInit = MessageInitShape<typeof SearchEntriesRequestSchema>;
export type HistoryInit = MessageInitShape<typeof GetObjectHistoryRequestSchema>;

/** How long one call may take before the command gives up. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/** Largest answer accepted: a page of 1,000 entries of up to 64 KiB leaves, with room to spare. */
export const MAX_RECEIVE_BYTES = 128 * 1024 * 1024;
const MAX_PEM_BYTES = 1024 * 1024;
/**
 * HTTP/2 receive window. The default 64 KiB makes a server stop every 64 KiB of a megabyte
 * GetEntries answer to wait for the client's window update; with several answers in flight the
 * window should hold them whole.
 */
const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

/** A failed call: the gRPC status name and the server's message. */
export class LedgerCallError extends Error {
  override readonly name = 'LedgerCallError';
  constructor(
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

export interface LedgerApi {
  getCheckpoint(): Promise<Checkpoint>;
  getEntries(start: bigint, end: bigint): Promise<Entry[]>;
  /**
   * GetEntries with the answer left in its wire bytes (a GetEntriesResponse), for readers that
   * decode it themselves rather than build a message per entry (the audit).
   */
  getEntriesBytes(start: bigint, end: bigint): Promise<Uint8Array>;
  getInclusionProof(index: bigint, treeSize: bigint): Promise<InclusionProof>;
  getConsistencyProof(fromSize: bigint, toSize: bigint): Promise<ConsistencyProof>;
  searchEntries(req: SearchInit): Promise<SearchEntriesResponse>;
  getObjectHistory(req: HistoryInit): Promise<GetObjectHistoryResponse>;
  watchEntries(fromIndex: bigint): AsyncIterable<Entry>;
  close(): void;
}

const statusName = (code: number): string =>
  (grpc.status as unknown as Record<number, string>)[code] ?? 'UNKNOWN';

function wrap(err: unknown): LedgerCallError {
  if (err instanceof RpcError) return new LedgerCallError(statusName(err.code), err.message);
  const e = err as { code?: unknown; details?: unknown } | null;
  // A grpc-js ServiceError from the raw-bytes call.
  if (e !== null && typeof e === 'object' && typeof e.code === 'number' && typeof e.details === 'string')
    return new LedgerCallError(statusName(e.code), e.details);
  return new LedgerCallError('UNKNOWN', (err as Error).message);
}

async function guarded<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await p();
  } catch (err) {
    throw wrap(err);
  }
}

export function connectLedger(
  address: string,
  tls: TlsFiles = {},
  timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
): LedgerApi {
  // Check the PEM files here so a wrong path is a one-line usage error naming the flag.
  for (const [file, flag] of [
    [tls.caFile, '--tls-ca'],
    [tls.certFile, '--tls-cert'],
    [tls.keyFile, '--tls-key'],
  ] as const) {
    if (file !== undefined) readCapped(file, MAX_PEM_BYTES, flag);
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new CliError('USAGE', '--tls-cert and --tls-key go together');
  }
  const credentials = channelCredentials(tls);
  // One channel for both clients: the typed one, and a plain grpc-js one whose GetEntries answers
  // stay bytes (grpc-js hands the deserializer the message buffer; returning it as is skips decoding).
  const raw = new grpc.Client(address, credentials, {
    'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
  });
  const client = createClient(Ledger, address, credentials, { channelOverride: raw.getChannel() });
  const opts = () => ({ deadline: timeoutMs });
  const entriesPath = methodPath(Ledger.method.getEntries);
  const getEntriesBytes = (start: bigint, end: bigint) =>
    new Promise<Uint8Array>((resolve, reject) => {
      const request = Buffer.from(
        toBinary(GetEntriesRequestSchema, create(GetEntriesRequestSchema, { start, end })),
      );
      raw.makeUnaryRequest(
        entriesPath,
        (b: Buffer) => b,
        (b: Buffer) => asBytes(b),
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, value) => {
          if (err !== null || value === undefined) reject(wrap(err ?? new Error('empty answer')));
          else resolve(value);
        },
      );
    });
  return {
    getCheckpoint: () => guarded(() => client.getCheckpoint({}, opts())),
    getEntries: (start, end) =>
      guarded(async () => (await client.getEntries({ start, end }, opts())).entries),
    getEntriesBytes,
    getInclusionProof: (index, treeSize) =>
      guarded(() => client.getInclusionProof({ leaf: { case: 'index', value: index }, treeSize }, opts())),
    getConsistencyProof: (fromSize, toSize) =>
      guarded(() => client.getConsistencyProof({ fromSize, toSize }, opts())),
    searchEntries: (req) => guarded(() => client.searchEntries(req, opts())),
    getObjectHistory: (req) => guarded(() => client.getObjectHistory(req, opts())),
    watchEntries: (fromIndex) =>
      (async function* () {
        try {
          for await (const e of client.watchEntries({ fromIndex })) yield e;
        } catch (err) {
          throw wrap(err);
        }
      })(),
    close: () => {
      client.close();
      raw.close();
    },
  };
}

/** A call failure as a CLI error (exit 2): the server could not be asked, or refused. */
export function callFailed(address: string, err: unknown): CliError {
  if (err instanceof LedgerCallError) {
    const why = err.status === 'UNAVAILABLE' ? explainUnavailable(err.message) : err.message;
    return new CliError('UNAVAILABLE', `ledger ${address}: ${err.status}: ${why}`);
  }
  return new CliError('UNAVAILABLE', `ledger ${address}: ${(err as Error).message}`);
}

// `--tiles URL|DIR` (DESIGN 10): verify, audit and prove read a log's static tlog-tiles instead of
// its gRPC API, from the ledger's read path, a CDN, or an export directory. The TLS flags of the
// gRPC client apply to an https URL the same way.
import { Buffer } from 'node:buffer';
import { openTiles, type TileFetcher, TilesError, type TilesTls } from '../../packages/tiles-client/index.js';
import { CliError } from './errors.js';
import { readCapped } from './inputs.js';
import { VerificationError } from './verification/errors.js';

const MAX_PEM_BYTES = 1024 * 1024;

export interface TilesClientOptions {
  tiles?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  timeout?: number;
}

/** Where a command reads the log: exactly one of --grpc and --tiles. */
export function sourceOf(o: { grpc?: string; tiles?: string }): 'grpc' | 'tiles' {
  if ((o.grpc === undefined) === (o.tiles === undefined)) {
    throw new CliError('USAGE', 'give exactly one of --grpc HOST:PORT and --tiles URL|DIR');
  }
  return o.tiles !== undefined ? 'tiles' : 'grpc';
}

export function openTilesFor(o: TilesClientOptions): TileFetcher {
  const location = o.tiles ?? '';
  const pem = (file: string | undefined, what: string) =>
    file === undefined ? undefined : Buffer.from(readCapped(file, MAX_PEM_BYTES, what));
  const tls: TilesTls = {};
  const ca = pem(o.tlsCa, '--tls-ca');
  const cert = pem(o.tlsCert, '--tls-cert');
  const key = pem(o.tlsKey, '--tls-key');
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  try {
    return openTiles(location, { tls, ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}) });
  } catch (err) {
    if (err instanceof TilesError) throw new CliError('USAGE', `--tiles: ${err.message}`);
    throw err;
  }
}

/**
 * A tiles failure as the CLI reports it: what could not be fetched is exit 2 (like an unreachable
 * ledger); what was fetched but is not what the layout must hold is a failed verification, at
 * `index` when given.
 */
export function tilesFailure(err: unknown, location: string, index?: bigint): Error {
  if (!(err instanceof TilesError)) return err as Error;
  switch (err.code) {
    case 'MISSING':
    case 'MALFORMED':
    case 'TOO_LARGE':
      return new VerificationError('ENTRY', `tiles ${location}: ${err.message}`, index);
    default:
      return new CliError('UNAVAILABLE', `tiles ${location}: ${err.message}`);
  }
}

import { status } from '@grpc/grpc-js';

/** The status text sent for any failure that is not an RpcError: internals never reach a client. */
export const INTERNAL_ERROR_MESSAGE = 'internal error';

/**
 * The one error of the rpc module. Thrown by a handler it becomes the call's status; a client
 * rejects with it when a call fails. `code` is the gRPC status code, the field tests assert on.
 */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** A status that may be sent to a peer: an RpcError's own, or INTERNAL with a fixed text. */
export interface WireStatus {
  code: status;
  details: string;
}

function isSendableCode(code: unknown): code is status {
  // OK is not an error, and codes beyond UNAUTHENTICATED (16) are not defined by gRPC.
  return typeof code === 'number' && Number.isInteger(code) && code >= 1 && code <= 16;
}

/** Maps anything thrown by a handler to the status the client sees. */
export function toWireStatus(err: unknown): WireStatus {
  if (err instanceof RpcError && isSendableCode(err.code)) return { code: err.code, details: err.message };
  return { code: status.INTERNAL, details: INTERNAL_ERROR_MESSAGE };
}

/** Maps a grpc-js client error (a ServiceError) to an RpcError carrying its status code. */
export function fromServiceError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const e = err as { code?: unknown; details?: unknown; message?: unknown } | null;
  if (e !== null && typeof e === 'object' && typeof e.code === 'number') {
    const text = typeof e.details === 'string' ? e.details : String(e.message ?? '');
    return new RpcError(e.code as status, text);
  }
  return new RpcError(status.UNKNOWN, err instanceof Error ? err.message : String(err));
}

// The ledger's gRPC server: the Ledger service (api.ts) with health and reflection, bound to one
// listen address. Its health follows the ledger's readiness through setServing.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { file_ingressledger_v1_ledger, Ledger } from '../../packages/proto/index.js';
import { addHealthAndReflection, addService, listen, type StreamLimits } from '../../packages/rpc/index.js';
import { type ApiDeps, ledgerService } from './api.js';

/** How long shutdown() lets open RPC streams finish before they are cut. */
export const GRPC_SHUTDOWN_GRACE_MS = 2000;

/** The gRPC service whose health follows the ledger's readiness (with the server's, ""). */
const LEDGER_SERVICE = 'ingressledger.v1.Ledger';

export interface LedgerGrpcServer {
  /** The port actually bound. */
  port: number;
  /** Sets the health status of the server ("") and of the Ledger service. */
  setServing(ready: boolean): void;
  /** Ends every stream, lets calls in flight finish for GRPC_SHUTDOWN_GRACE_MS, then cuts them. */
  shutdown(): Promise<void>;
}

/** Binds the server; a bind that fails (the port is taken) leaves nothing open. */
export async function serveLedgerGrpc(o: {
  listen: string;
  credentials: grpc.ServerCredentials;
  api: Omit<ApiDeps, 'closing'>;
  logger: Logger;
  observe: (method: string, code: grpc.status, seconds: number) => void;
  streams?: StreamLimits;
}): Promise<LedgerGrpcServer> {
  const closing = new AbortController();
  const server = new grpc.Server();
  addService(server, Ledger, ledgerService({ ...o.api, closing: closing.signal }), {
    logger: o.logger,
    observe: o.observe,
    ...(o.streams !== undefined ? { streams: o.streams } : {}),
  });
  const health = addHealthAndReflection(server, [file_ingressledger_v1_ledger], [LEDGER_SERVICE]);
  let port: number;
  try {
    port = await listen(server, o.listen, o.credentials);
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
  return {
    port,
    setServing(ready) {
      health.setServing('', ready);
      health.setServing(LEDGER_SERVICE, ready);
    },
    async shutdown() {
      closing.abort();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, GRPC_SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

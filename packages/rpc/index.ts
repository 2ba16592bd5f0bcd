// The bridge between protobuf-es v2 descriptors and @grpc/grpc-js: typed services and clients from
// the generated GenService, one place that maps errors to statuses, TLS credentials, health and
// reflection. Services use this and never grpc-js handlers directly.
//
//   const server = new grpc.Server();
//   addService(server, Ledger, impl, { logger, observe });   // impl: ServiceImpl<typeof Ledger>
//   addHealthAndReflection(server, [file_ingressledger_v1_ledger], [Ledger.typeName]);
//   const port = await listen(server, '0.0.0.0:7000', serverCredentials(tlsFiles));
//
//   const client = createClient(Ledger, 'host:7000', channelCredentials(tlsFiles));
//   const cp = await client.getCheckpoint({}, { deadline: 5000 });      // rejects with RpcError
//   for await (const e of client.watchEntries({ fromIndex: 0n })) { ... }  // break cancels
//
// Handlers throw RpcError for answers the client should see (INVALID_ARGUMENT, OUT_OF_RANGE, ...);
// anything else is logged and becomes INTERNAL "internal error". Handlers must watch ctx.signal
// while they wait (for new entries, for a lock), because return() on a generator that is parked in
// an await only takes effect once that await settles.
export { createClient } from './client.js';
export {
  channelCredentials,
  type ReloadOptions,
  reloadingServerCredentials,
  serverCredentials,
  TlsFileError,
  type TlsFiles,
  type TlsReloadLog,
} from './credentials.js';
export { addHealthAndReflection, HEALTH_SERVICE } from './health-reflection.js';
export { listen } from './listen.js';
export { RpcError } from './rpc-error.js';
export { type AddServiceOptions, addService } from './server.js';
export { asBytes, methodPath } from './service-definition.js';
export {
  DEFAULT_MAX_STREAMS,
  DEFAULT_MAX_STREAMS_PER_PEER,
  DEFAULT_STREAM_LIMITS,
  DEFAULT_STREAM_STALL_TIMEOUT_MS,
  peerAddress,
  type StreamLimits,
} from './stream-limits.js';
export type { ServiceImpl } from './types.js';

// The bridge between protobuf-es v2 descriptors and @grpc/grpc-js: typed services and clients from
// the generated GenService, one place that maps errors to statuses, TLS credentials, health and
// reflection. Services use this and never grpc-js handlers directly.
export { createClient } from './client.js';
export { channelCredentials, serverCredentials, type TlsFiles } from './credentials.js';
export { addHealthAndReflection, HEALTH_SERVICE } from './health-reflection.js';
export { listen } from './listen.js';
export { INTERNAL_ERROR_MESSAGE, RpcError } from './rpc-error.js';
export { type AddServiceOptions, addService } from './server.js';
export { methodPath, serviceDefinition } from './service-definition.js';
export type { CallContext, CallOptions, Client, ClientMethod, MethodImpl, ServiceImpl } from './types.js';

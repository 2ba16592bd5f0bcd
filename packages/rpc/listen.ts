import type * as grpc from '@grpc/grpc-js';

/** Binds `server` to `address` (host:port; port 0 picks a free one) and resolves to the bound port. */
export function listen(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials,
): Promise<number> {
  return new Promise((resolve, reject) => {
    // Since grpc-js 1.10 a bound server serves without start().
    server.bindAsync(address, credentials, (err, port) => (err !== null ? reject(err) : resolve(port)));
  });
}

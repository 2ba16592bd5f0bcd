import { create, type DescMethod, type DescService, fromBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { fromServiceError, RpcError } from './rpc-error.js';
import { asBytes, methodPath, serializer } from './service-definition.js';
import type { CallOptions, Client } from './types.js';

function deserializer(method: DescMethod): (bytes: Buffer) => unknown {
  return (bytes) => fromBinary(method.output, asBytes(bytes));
}

function callOptions(opts: CallOptions | undefined): grpc.CallOptions {
  const out: grpc.CallOptions = {};
  const deadline = opts?.deadline;
  if (deadline === undefined) return out;
  const at = typeof deadline === 'number' ? Date.now() + deadline : deadline.getTime();
  // grpc-js would treat NaN as "no deadline": a typo must not make a call wait forever.
  if (!Number.isFinite(at)) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'deadline: not a finite time');
  out.deadline = at;
  return out;
}

function cancelledBeforeStart(): RpcError {
  return new RpcError(grpc.status.CANCELLED, 'call cancelled before it started');
}

/**
 * Serializes the request up front: a bad init shape is the caller's mistake and becomes
 * INVALID_ARGUMENT here, where grpc-js would report INTERNAL.
 */
function requestMessage(method: DescMethod, request: unknown): Buffer {
  try {
    return serializer(method.input)(create(method.input, request as never));
  } catch (err) {
    throw new RpcError(grpc.status.INVALID_ARGUMENT, `${method.input.typeName}: ${String(err)}`);
  }
}

function unary(client: grpc.Client, method: DescMethod) {
  const path = methodPath(method);
  const serialize = serializer(method.input);
  const deserialize = deserializer(method);
  return (request: unknown, opts?: CallOptions): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const signal = opts?.signal;
      if (signal?.aborted === true) return reject(cancelledBeforeStart());
      const message = requestMessage(method, request);
      const onAbort = () => call.cancel();
      const call = client.makeUnaryRequest(
        path,
        serialize,
        deserialize,
        message,
        opts?.metadata ?? new grpc.Metadata(),
        callOptions(opts),
        (err, value) => {
          signal?.removeEventListener('abort', onAbort);
          if (err !== null) reject(fromServiceError(err));
          else resolve(value);
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
}

function serverStreaming(client: grpc.Client, method: DescMethod) {
  const path = methodPath(method);
  const serialize = serializer(method.input);
  const deserialize = deserializer(method);
  return (request: unknown, opts?: CallOptions): AsyncIterable<unknown> => ({
    async *[Symbol.asyncIterator]() {
      const signal = opts?.signal;
      if (signal?.aborted === true) throw cancelledBeforeStart();
      const message = requestMessage(method, request);
      const call = client.makeServerStreamRequest(
        path,
        serialize,
        deserialize,
        message,
        opts?.metadata ?? new grpc.Metadata(),
        callOptions(opts),
      );
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      let finished = false;
      try {
        // The readable pauses the HTTP/2 stream when its buffer fills, so a slow consumer pushes back.
        for await (const message of call) yield message;
        finished = true;
      } catch (err) {
        finished = true;
        throw fromServiceError(err);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        // Leaving the loop early (break, throw in the body) must stop the server producing.
        if (!finished) {
          // The CANCELLED status still arrives as an 'error' event; nobody reads it any more.
          call.on('error', () => {});
          call.cancel();
        }
      }
    },
  });
}

/** A typed client of `service` at `address`; insecure unless credentials are given. */
export function createClient<S extends DescService>(
  service: S,
  address: string,
  credentials?: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
): Client<S> & { close(): void } {
  const client = new grpc.Client(address, credentials ?? grpc.credentials.createInsecure(), options);
  const methods: Record<string, unknown> = {};
  for (const method of service.methods) {
    if (method.methodKind === 'unary') methods[method.localName] = unary(client, method);
    else if (method.methodKind === 'server_streaming')
      methods[method.localName] = serverStreaming(client, method);
  }
  methods['close'] = () => client.close();
  return methods as Client<S> & { close(): void };
}

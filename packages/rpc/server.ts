import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ServerCallContext } from './call-context.js';
import { RpcError, toWireStatus, type WireStatus } from './rpc-error.js';
import { serializer, serviceDefinition, UndecodableRequest } from './service-definition.js';
import { DEFAULT_STREAM_LIMITS, StreamCounter, type StreamLimits } from './stream-limits.js';
import { type CallContext, isSupportedMethod, type ServiceImpl } from './types.js';

export interface AddServiceOptions {
  /** Receives the real error behind every INTERNAL status. */
  logger?: import('pino').Logger;
  /** called with (method, status code, seconds) after each call */
  observe?: (method: string, code: grpc.status, seconds: number) => void;
  /** Bounds on server streams (default DEFAULT_STREAM_LIMITS), shared by the service's methods. */
  streams?: StreamLimits;
}

type AnyUnary = (req: unknown, ctx: CallContext) => Promise<unknown>;
type AnyStreaming = (req: unknown, ctx: CallContext) => AsyncIterable<unknown>;

/** Decodes or rejects: a request that did not decode is the client's fault. */
function decoded(request: unknown): unknown {
  if (request instanceof UndecodableRequest) {
    throw new RpcError(grpc.status.INVALID_ARGUMENT, 'request message does not decode');
  }
  return request;
}

function report(
  opts: AddServiceOptions,
  method: DescMethod,
  started: bigint,
  err: unknown,
  ctx: ServerCallContext,
): WireStatus | undefined {
  let wire: WireStatus | undefined;
  let code = grpc.status.OK;
  const abortCode = ctx.abortCode;
  if (abortCode !== undefined) {
    // Nothing reaches the client any more; the code only feeds observe().
    code = abortCode;
  } else if (err !== undefined) {
    wire = toWireStatus(err);
    code = wire.code;
    if (!(err instanceof RpcError)) opts.logger?.error({ err, method: method.name }, 'rpc handler failed');
  }
  opts.observe?.(method.name, code, Number(process.hrtime.bigint() - started) / 1e9);
  return wire;
}

function unaryHandler(
  method: DescMethod,
  fn: AnyUnary,
  opts: AddServiceOptions,
): grpc.handleUnaryCall<unknown, unknown> {
  const serialize = serializer(method.output);
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const ctx = new ServerCallContext(call, method);
    void (async () => {
      try {
        const response = await fn(decoded(call.request), ctx);
        // Serialize here so a malformed response is reported as this handler's failure.
        // A handler may answer with bytes it serialized itself (a hot path's hand-written encoder).
        const bytes = serialize(
          response instanceof Uint8Array ? response : create(method.output, response as never),
        );
        ctx.settle();
        report(opts, method, started, undefined, ctx);
        callback(null, bytes);
      } catch (err) {
        ctx.settle();
        const wire = report(opts, method, started, err, ctx);
        callback(wire ?? { code: grpc.status.CANCELLED, details: 'call cancelled' });
      }
    })();
  };
}

/** Waits until the client has read the buffer; false if it did not within `timeoutMs`. */
function waitDrain(
  call: grpc.ServerWritableStream<unknown, unknown>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (drained: boolean) => () => {
      clearTimeout(timer);
      call.off('drain', onDrain);
      signal.removeEventListener('abort', onDrain);
      resolve(drained);
    };
    const onDrain = done(true);
    const timer = setTimeout(done(false), timeoutMs);
    call.on('drain', onDrain);
    signal.addEventListener('abort', onDrain);
  });
}

function streamingHandler(
  method: DescMethod,
  fn: AnyStreaming,
  opts: AddServiceOptions,
  streams: StreamCounter,
): grpc.handleServerStreamingCall<unknown, unknown> {
  const serialize = serializer(method.output);
  return (call) => {
    const started = process.hrtime.bigint();
    const ctx = new ServerCallContext(call, method);
    const peer = call.getPeer();
    const refused = streams.tryOpen(peer);
    if (refused !== undefined) {
      ctx.settle();
      const wire = report(opts, method, started, new RpcError(grpc.status.RESOURCE_EXHAUSTED, refused), ctx);
      if (wire !== undefined) call.emit('error', wire);
      return;
    }
    void (async () => {
      let iterator: AsyncIterator<unknown> | undefined;
      let closed = false;
      const close = () => {
        if (closed || iterator === undefined) return;
        closed = true;
        // return() tells a generator to run its finally blocks and stop producing.
        iterator.return?.()?.catch(() => {});
      };
      ctx.signal.addEventListener('abort', close);
      try {
        iterator = fn(decoded(call.request), ctx)[Symbol.asyncIterator]();
        if (ctx.aborted) close();
        while (!ctx.aborted) {
          const next = await iterator.next();
          if (next.done === true) {
            closed = true;
            break;
          }
          if (ctx.aborted) break;
          const bytes = serialize(create(method.output, next.value as never));
          // The generator is not pulled while the buffer is full: memory per stream stays bounded.
          if (!call.write(bytes) && !(await waitDrain(call, ctx.signal, streams.limits.stallTimeoutMs))) {
            throw new RpcError(
              grpc.status.RESOURCE_EXHAUSTED,
              `client did not read for ${streams.limits.stallTimeoutMs} ms`,
            );
          }
        }
        ctx.settle();
        report(opts, method, started, undefined, ctx);
        if (!ctx.aborted) call.end();
      } catch (err) {
        ctx.settle();
        const wire = report(opts, method, started, err, ctx);
        if (wire !== undefined) call.emit('error', wire);
      } finally {
        streams.close(peer);
        ctx.signal.removeEventListener('abort', close);
        close();
      }
    })();
  };
}

/**
 * Serves `impl` for `service` on `server`. Every failure maps to a status here and only here: an
 * RpcError keeps its code and message, anything else is logged and sent as INTERNAL.
 */
export function addService<S extends DescService>(
  server: grpc.Server,
  service: S,
  impl: ServiceImpl<S>,
  opts: AddServiceOptions = {},
): void {
  const handlers: grpc.UntypedServiceImplementation = {};
  const streams = new StreamCounter(opts.streams ?? DEFAULT_STREAM_LIMITS);
  const table = impl as unknown as Record<string, AnyUnary | AnyStreaming | undefined>;
  for (const method of service.methods) {
    if (!isSupportedMethod(method)) continue;
    const fn = table[method.localName];
    if (typeof fn !== 'function') {
      throw new RpcError(grpc.status.UNIMPLEMENTED, `no implementation for ${method.name}`);
    }
    const bound = fn.bind(impl);
    if (method.methodKind === 'unary')
      handlers[method.localName] = unaryHandler(method, bound as AnyUnary, opts);
    else if (method.methodKind === 'server_streaming')
      handlers[method.localName] = streamingHandler(method, bound as AnyStreaming, opts, streams);
  }
  server.addService(serviceDefinition(service), handlers);
}

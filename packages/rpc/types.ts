import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** Aborts when the client cancels, the deadline passes or the connection drops. */
  signal: AbortSignal;
  /** The request metadata (headers). */
  metadata: grpc.Metadata;
  /** The peer address as grpc-js reports it. */
  peer: string;
  /** The RPC name as written in the proto, e.g. "GetCheckpoint". */
  method: string;
}

/** Per-call client options. */
export interface CallOptions {
  /** Aborting cancels the call; the call then rejects with CANCELLED. */
  signal?: AbortSignal;
  /** An absolute time, or milliseconds from now. */
  deadline?: Date | number;
  metadata?: grpc.Metadata;
}

type UnaryMethod = { methodKind: 'unary'; input: DescMessage; output: DescMessage };
type ServerStreamingMethod = { methodKind: 'server_streaming'; input: DescMessage; output: DescMessage };
/** Client and bidi streaming methods are left out of both maps (the Ledger API has none). */
type Supported = UnaryMethod | ServerStreamingMethod;

/**
 * A unary answer already serialized in the method's output wire format (a hot path's hand-written
 * encoder, checked against protobuf-es in its tests); sent as is.
 */
export type EncodedMessage = Uint8Array;

/** The handler of one method: a promise for unary, an async iterable for server streaming. */
export type MethodImpl<M> = M extends UnaryMethod
  ? (
      request: MessageShape<M['input']>,
      ctx: CallContext,
    ) => Promise<MessageInitShape<M['output']> | EncodedMessage>
  : M extends ServerStreamingMethod
    ? (request: MessageShape<M['input']>, ctx: CallContext) => AsyncIterable<MessageInitShape<M['output']>>
    : never;

/**
 * An implementation of every method of S, keyed by the method's local name (lowerCamelCase), so a
 * missing or misspelt method is a compile error.
 */
export type ServiceImpl<S extends DescService> = {
  [K in keyof S['method'] as S['method'][K] extends Supported ? K : never]: MethodImpl<S['method'][K]>;
};

/** The client side of one method. Breaking out of a stream's loop cancels the call. */
export type ClientMethod<M> = M extends UnaryMethod
  ? (request: MessageInitShape<M['input']>, opts?: CallOptions) => Promise<MessageShape<M['output']>>
  : M extends ServerStreamingMethod
    ? (request: MessageInitShape<M['input']>, opts?: CallOptions) => AsyncIterable<MessageShape<M['output']>>
    : never;

/** A typed client of S; failed calls reject (or throw from the loop) with RpcError. */
export type Client<S extends DescService> = {
  [K in keyof S['method'] as S['method'][K] extends Supported ? K : never]: ClientMethod<S['method'][K]>;
};

/** The kinds the bridge supports; client and bidi streaming are not used by the Ledger API. */
export function isSupportedMethod(m: DescMethod): boolean {
  return m.methodKind === 'unary' || m.methodKind === 'server_streaming';
}

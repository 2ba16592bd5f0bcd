import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  toBinary,
} from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';
import { isSupportedMethod } from './types.js';

/**
 * Stands in for a request that did not decode. grpc-js answers a throwing deserializer with
 * INTERNAL; the handler turns this marker into INVALID_ARGUMENT instead, since bad input is never
 * an internal error.
 */
export class UndecodableRequest {
  constructor(readonly cause: unknown) {}
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Serializes a message or its init shape; bytes pass through so a handler can serialize early. */
export function serializer(schema: DescMessage): (value: unknown) => Buffer {
  return (value) => {
    if (value instanceof Uint8Array) return asBuffer(value);
    return asBuffer(toBinary(schema, create(schema, value as never)));
  };
}

/**
 * A plain Uint8Array view of grpc-js's Buffer (no copy), so decoded bytes fields are Uint8Array
 * like everywhere else in protobuf-es, not Buffer subclasses that compare unequal.
 */
export function asBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function lenientDeserializer(schema: DescMessage): (bytes: Buffer) => unknown {
  return (bytes) => {
    try {
      return fromBinary(schema, asBytes(bytes));
    } catch (err) {
      return new UndecodableRequest(err);
    }
  };
}

/** The gRPC path of a method: /<service type name>/<method name>. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * The grpc-js definition of a protobuf-es service, keyed by method local name. Requests that fail
 * to decode come out as UndecodableRequest rather than throwing (see above).
 */
export function serviceDefinition<S extends DescService>(service: S): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    if (!isSupportedMethod(method)) continue;
    def[method.localName] = {
      path: methodPath(method),
      requestStream: false,
      responseStream: method.methodKind === 'server_streaming',
      requestSerialize: serializer(method.input),
      requestDeserialize: lenientDeserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, asBytes(bytes)),
      originalName: method.name,
    };
  }
  return def as grpc.ServiceDefinition;
}

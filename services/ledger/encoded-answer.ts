// Answers a hot path has already serialized (get-entries-response-fast.ts, inclusion-proof-fast.ts),
// typed by the message they encode. The rpc bridge sends any Uint8Array as is; here a method may
// return only bytes branded with its own output message, so a GetEntries body cannot be returned
// from GetInclusionProof: the compiler refuses it (get-entries-response-fast.test.ts shows it).
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { Ledger } from '../../packages/proto/index.js';
import type { ServiceImpl } from '../../packages/rpc/index.js';

declare const encodedAs: unique symbol;

/** Bytes in the wire format of message S, exactly what toBinary(S, …) would write. */
export type EncodedAnswer<S extends DescMessage> = Uint8Array & {
  readonly [encodedAs]: MessageShape<S>['$typeName'];
};

/**
 * Brands `bytes` as an encoding of S. Only a hand-written encoder calls it, one whose test checks
 * its output against protobuf-es's toBinary for S.
 */
export function encodedAnswer<S extends DescMessage>(_schema: S, bytes: Uint8Array): EncodedAnswer<S> {
  return bytes as EncodedAnswer<S>;
}

type Methods = (typeof Ledger)['method'];
type Impl = ServiceImpl<typeof Ledger>;
type OutputOf<K> = K extends keyof Methods
  ? Methods[K] extends { output: infer O extends DescMessage }
    ? O
    : never
  : never;

/**
 * The Ledger service as api.ts implements it: each unary method answers a message, or bytes
 * branded with its own output message, never bare bytes. Assignable to ServiceImpl<typeof Ledger>.
 */
export type LedgerImpl = {
  [K in keyof Impl]: Impl[K] extends (...args: infer A) => Promise<infer R>
    ? (...args: A) => Promise<Exclude<R, Uint8Array> | EncodedAnswer<OutputOf<K>>>
    : Impl[K];
};

/** What the method `K` of the Ledger service answers. */
export type LedgerAnswer<K extends keyof LedgerImpl> = Awaited<ReturnType<LedgerImpl[K]>>;

import type { DescMethod } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { RpcError } from './rpc-error.js';
import type { CallContext } from './types.js';

/**
 * How close to its deadline a cancelled call counts as timed out: the client's own deadline timer
 * starts first, so its cancellation usually reaches us just before our timer fires.
 */
export const DEADLINE_SLACK_MS = 100;

/** The parts of a grpc-js server call (unary or streaming) a context needs. */
export interface ServerCall {
  readonly metadata: grpc.Metadata;
  readonly cancelled: boolean;
  getPeer(): string;
  getDeadline(): grpc.Deadline;
  on(event: 'cancelled', listener: () => void): unknown;
}

/** Why a call ended early: its deadline passed, or the client went away. */
function abortReason(call: ServerCall): RpcError {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) && Date.now() + DEADLINE_SLACK_MS >= at
    ? new RpcError(grpc.status.DEADLINE_EXCEEDED, 'deadline exceeded')
    : new RpcError(grpc.status.CANCELLED, 'call cancelled');
}

/**
 * The CallContext of one server call. The AbortSignal is made on first use: an AbortController
 * with a listener costs more than a whole small unary call's protobuf work, and most unary
 * handlers never look at it.
 */
export class ServerCallContext implements CallContext {
  readonly metadata: grpc.Metadata;
  readonly method: string;
  readonly #call: ServerCall;
  #controller: AbortController | undefined;
  #reason: RpcError | undefined;
  #settled = false;

  constructor(call: ServerCall, method: DescMethod) {
    this.#call = call;
    this.metadata = call.metadata;
    this.method = method.name;
    // grpc-js emits 'cancelled' for client cancellation, a passed deadline and a dropped
    // connection, but also when the stream closes after every completed call: settle() first.
    call.on('cancelled', () => this.#cancel());
    if (call.cancelled) this.#cancel();
  }

  get peer(): string {
    return this.#call.getPeer();
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Whether the call was cancelled or timed out before it settled. */
  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  /** The status code of an abort, for observe(); the client already has its own. */
  get abortCode(): grpc.status | undefined {
    return this.#reason?.code;
  }

  /** Marks the outcome decided: later cancellation events are the stream's normal close. */
  settle(): void {
    this.#settled = true;
  }

  #cancel(): void {
    if (this.#settled || this.#reason !== undefined) return;
    this.#reason = abortReason(this.#call);
    this.#controller?.abort(this.#reason);
  }
}

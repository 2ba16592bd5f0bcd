// How many webhook requests are read and published at once, and what the rest do meanwhile.
//
// A request beyond the limit waits for a slot, first come first served, for a bounded time: a
// publish that stalls for a few seconds (a JetStream stream electing a new leader after a node
// died) then costs the sender latency, not a failed batch. A waiting request holds only its
// connection: its body is not read until it has a slot, so memory stays bounded by the slots. What
// cannot wait is refused at once (503 with retry-after, the caller's job): more waiting requests
// than the queue holds, or a wait that ran out.

export interface AdmissionOptions {
  /** Requests read or published at once. */
  slots: number;
  /** Requests that may wait for a slot; more are refused at once. */
  maxWaiting: number;
  /** How long a request waits for a slot before it is refused. */
  maxWaitMs: number;
}

interface Waiter {
  grant(): void;
  timer: NodeJS.Timeout;
}

export class Admission {
  readonly #o: AdmissionOptions;
  #busy = 0;
  readonly #waiting: Waiter[] = [];

  constructor(o: AdmissionOptions) {
    this.#o = o;
  }

  /** Requests holding a slot. */
  get busy(): number {
    return this.#busy;
  }

  /** Requests waiting for one. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves to true once the caller holds a slot (it must call release() exactly once), or to
   * false when it may not wait for one (the queue is full, or the wait ran out).
   */
  acquire(): Promise<boolean> {
    if (this.#busy < this.#o.slots) {
      this.#busy++;
      return Promise.resolve(true);
    }
    if (this.#waiting.length >= this.#o.maxWaiting || this.#o.maxWaitMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const w: Waiter = {
        grant: () => {
          clearTimeout(w.timer);
          resolve(true);
        },
        timer: setTimeout(() => {
          const at = this.#waiting.indexOf(w);
          if (at >= 0) this.#waiting.splice(at, 1);
          resolve(false);
        }, this.#o.maxWaitMs),
      };
      this.#waiting.push(w);
    });
  }

  /** Gives the caller's slot to the longest waiting request, or frees it. */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next.grant();
    else this.#busy = Math.max(0, this.#busy - 1);
  }
}

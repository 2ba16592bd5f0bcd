// Group commit: add-checkpoint requests that arrive while the event loop is busy are cosigned in one
// SQLite transaction, so they share one fsync instead of queueing behind one each. Every request is
// still checked against the state its predecessors in the batch left, and none is answered before
// the commit that makes its new state durable.
import type { WitnessError } from './errors.js';
import type { AddCheckpointResult, PreparedCheckpoint, Witness } from './witness.js';

/** Most requests sharing one commit; bounds how long the event loop is held by one batch. */
export const MAX_GROUP_COMMIT = 128;

interface Waiting {
  prepared: PreparedCheckpoint;
  resolve: (r: AddCheckpointResult | WitnessError) => void;
  reject: (err: unknown) => void;
}

export class GroupCommitter {
  #pending: Waiting[] = [];
  #scheduled = false;

  constructor(private readonly witness: Witness) {}

  /** Resolves to the answer (or refusal) once the batch holding this request has committed. */
  submit(prepared: PreparedCheckpoint): Promise<AddCheckpointResult | WitnessError> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ prepared, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate: after the I/O callbacks of this loop turn, so requests read together commit together.
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batch = this.#pending.splice(0, MAX_GROUP_COMMIT);
    this.#scheduled = this.#pending.length > 0;
    if (this.#scheduled) setImmediate(() => this.#flush());
    let results: (AddCheckpointResult | WitnessError)[];
    try {
      results = this.witness.cosignAll(batch.map((w) => w.prepared));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      w.resolve(results[i]!);
    });
  }
}

// Turn-taking for SQLite's one write lock between the ledger's writes (appends, checkpoints) on the
// main thread and the search follower's transactions in its worker thread.
//
// SQLite alone would be correct: a writer that finds the lock taken retries from its busy handler.
// But that handler sleeps 1, 2, 5, 10, 15 ... ms between tries, so an append could sleep well past
// the end of a follower transaction, or keep missing the short gaps between two of them. The gate
// is shared memory both threads see: the main thread raises `want` and waits (Atomics.wait, woken
// the moment the follower commits); the follower starts no transaction while `want` is up. So an
// append waits at most for the rest of one follower transaction, and the follower never takes the
// lock from a waiting append. The gate only orders the two; SQLite's locks still guard the data,
// and a wait is capped so a stuck follower can never hold the ledger up past its busy timeout.

/** Int32 slots of the shared buffer. */
const WANT = 0;
const HOLD = 1;

/** How long the main thread waits at the gate before leaving the rest to SQLite's busy handler. */
export const GATE_WAIT_MAX_MS = 1000;

/** The main thread's side: around each write on the ledger's connection. */
export interface WriteGate {
  /** Blocks until the follower holds no transaction (at most GATE_WAIT_MAX_MS). */
  enter(): void;
  leave(): void;
}

/** A gate for a ledger without a follower. */
export const openGate: WriteGate = { enter() {}, leave() {} };

export function sharedGateBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

/** The ledger's side of a shared gate. */
export function ledgerGate(buffer: SharedArrayBuffer): WriteGate & { waitedMs(): number } {
  const s = new Int32Array(buffer);
  let waited = 0;
  return {
    enter() {
      Atomics.add(s, WANT, 1);
      if (Atomics.load(s, HOLD) === 0) return;
      const start = performance.now();
      let left = GATE_WAIT_MAX_MS;
      while (left > 0 && Atomics.load(s, HOLD) === 1) {
        Atomics.wait(s, HOLD, 1, left);
        left = GATE_WAIT_MAX_MS - (performance.now() - start);
      }
      waited += performance.now() - start;
    },
    leave() {
      if (Atomics.sub(s, WANT, 1) === 1) Atomics.notify(s, WANT);
    },
    /** Total time spent waiting for the follower (tests, benchmarks). */
    waitedMs: () => waited,
  };
}

/** The follower's side: a transaction runs between `acquire()` and `release()`. */
export interface FollowerGate {
  acquire(): void;
  release(): void;
}

export function followerGate(buffer: SharedArrayBuffer): FollowerGate {
  const s = new Int32Array(buffer);
  return {
    acquire() {
      for (;;) {
        // The ledger's write goes first; it is short (one batch) and wakes us when done.
        for (let w = Atomics.load(s, WANT); w !== 0; w = Atomics.load(s, WANT)) Atomics.wait(s, WANT, w, 100);
        Atomics.store(s, HOLD, 1);
        // Both sides store then load (sequentially consistent): at most one of them goes ahead.
        if (Atomics.load(s, WANT) === 0) return;
        Atomics.store(s, HOLD, 0);
        Atomics.notify(s, HOLD);
      }
    },
    release() {
      Atomics.store(s, HOLD, 0);
      Atomics.notify(s, HOLD);
    },
  };
}

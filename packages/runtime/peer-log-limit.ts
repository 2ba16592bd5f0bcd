// Refused requests are logged with the peer's address, but a client that retries in a loop (an
// apiserver with a stale token retries every batch, a replay flood at a witness) must not flood the
// log and bury the line that matters: one line per peer and kind per interval, carrying how many
// refusals it stands for.

/** At most one line per peer and kind this often. */
export const DEFAULT_PEER_LOG_INTERVAL_MS = 10_000;
/** Peers remembered at once; beyond this (many addresses at once) they share one line. */
const MAX_PEERS = 4096;
/** The key the peers beyond MAX_PEERS share. */
const OTHER_PEERS = 'other peers';

interface Seen {
  at: number;
  /** Refusals since the last line. */
  count: number;
}

export class PeerLogLimit {
  readonly #seen = new Map<string, Seen>();

  constructor(readonly intervalMs = DEFAULT_PEER_LOG_INTERVAL_MS) {}

  /**
   * Counts one refusal of `kind` from `peer`; calls `log` with the number of refusals the line
   * stands for (this one and those not logged before it) when a line is due.
   */
  note(kind: string, peer: string, log: (count: number, peer: string) => void, now = Date.now()): void {
    let key = `${kind} ${peer}`;
    if (!this.#seen.has(key) && this.#seen.size >= MAX_PEERS) {
      this.#prune(now);
      if (this.#seen.size >= MAX_PEERS) {
        key = `${kind} ${OTHER_PEERS}`;
        peer = OTHER_PEERS;
      }
    }
    const s = this.#seen.get(key);
    if (s !== undefined && now - s.at < this.intervalMs) {
      s.count++;
      return;
    }
    this.#seen.set(key, { at: now, count: 0 });
    log((s?.count ?? 0) + 1, peer);
  }

  #prune(now: number): void {
    for (const [key, s] of this.#seen) {
      if (now - s.at >= this.intervalMs) this.#seen.delete(key);
    }
  }
}

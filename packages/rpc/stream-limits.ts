// Limits on server streams (WatchEntries, WatchCheckpoints): each open stream holds a write buffer
// and a reader of the store, so a thousand idle or stalled watchers cost the server real memory.
// Three bounds: streams open at once, streams per client address, and how long a stream may stay
// blocked on a client that does not read (its buffer full). Past any of them: RESOURCE_EXHAUSTED.

export interface StreamLimits {
  /** Server streams open at once, over all clients. */
  maxStreams: number;
  /** Server streams open at once from one client address (its port aside). */
  maxStreamsPerPeer: number;
  /** A stream whose client has not read for this long, with its buffer full, is ended. */
  stallTimeoutMs: number;
}

/** A thousand watchers: each holds at most its write buffer while blocked. */
export const DEFAULT_MAX_STREAMS = 1000;
export const DEFAULT_MAX_STREAMS_PER_PEER = 100;
export const DEFAULT_STREAM_STALL_TIMEOUT_MS = 60_000;

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxStreams: DEFAULT_MAX_STREAMS,
  maxStreamsPerPeer: DEFAULT_MAX_STREAMS_PER_PEER,
  stallTimeoutMs: DEFAULT_STREAM_STALL_TIMEOUT_MS,
};

/** The address part of a grpc-js peer string ("ipv4:127.0.0.1:5000", "[::1]:5000", "unix:…"). */
export function peerAddress(peer: string): string {
  const at = peer.lastIndexOf(':');
  const host = at > 0 && /^\d+$/.test(peer.slice(at + 1)) ? peer.slice(0, at) : peer;
  return host.replace(/^ipv[46]:/, '');
}

/** Counts open streams; `open` answers whether another may start (and if so, counts it). */
export class StreamCounter {
  readonly #perPeer = new Map<string, number>();
  #total = 0;

  constructor(readonly limits: StreamLimits) {}

  get open(): number {
    return this.#total;
  }

  /** Counts a new stream from `peer`, or returns why it may not start. */
  tryOpen(peer: string): string | undefined {
    const key = peerAddress(peer);
    const mine = this.#perPeer.get(key) ?? 0;
    if (this.#total >= this.limits.maxStreams)
      return `server streams at their limit (${this.limits.maxStreams})`;
    if (mine >= this.limits.maxStreamsPerPeer) {
      return `streams from this client at their limit (${this.limits.maxStreamsPerPeer})`;
    }
    this.#total++;
    this.#perPeer.set(key, mine + 1);
    return undefined;
  }

  close(peer: string): void {
    const key = peerAddress(peer);
    const mine = this.#perPeer.get(key) ?? 0;
    if (mine <= 1) this.#perPeer.delete(key);
    else this.#perPeer.set(key, mine - 1);
    this.#total = Math.max(0, this.#total - 1);
  }
}

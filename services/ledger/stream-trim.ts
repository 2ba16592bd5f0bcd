// Removes what the ledger has committed from the buffer streams (docs/storage.md), so that
// INGRESS_CHANGES and INGRESS_BODIES, which refuse new messages when full rather than drop any,
// hold only what is still to be consumed, plus a replay window.
//
// Changes: everything at or below the ledger consumer's ack floor is committed (acks follow the
// commit). Committed changes stay for `keepMs` (changes-keep), so a ledger restored from a backup
// can re-read what came after it (docs/operations.md); when the stream is nearly full they go
// at once, because refusing new changes is worse than shortening the replay window.
// Bodies: a body is published before its leaf, and again with every retry of the leaf, so the
// bodies stored before one round belong to leaves published before the next round; once the
// changes of that next round are trimmed, those bodies are done too.
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { BODIES_STREAM, CHANGES_STREAM, LEDGER_CONSUMER } from '../../packages/runtime/index.js';

/**
 * How often the streams are trimmed. Short, because "nearly full" is only seen at a round: at 30 s,
 * a burst of 5,000 events/s (10 MB/s) filled the last 20% of a 1 GiB stream between two rounds,
 * and the collector had to refuse changes while committed ones sat in the stream.
 */
export const TRIM_INTERVAL_MS = 5_000;
/** Committed changes kept for replay after a restore from backup (changes-keep). */
export const DEFAULT_CHANGES_KEEP_MS = 24 * 3_600_000;
/** Fill level of INGRESS_CHANGES from which committed changes are trimmed without the keep window. */
export const NEARLY_FULL = 0.8;
/** Rounds remembered at most (a keep window of a week at the default interval, a few MB). */
const MAX_ROUNDS = 125_000;

interface Round {
  at: number;
  floor: number;
  changesLast: number;
  bodiesLast: number;
}

export class StreamTrimmer {
  readonly #rounds: Round[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly logger: Logger,
    private readonly keepMs = DEFAULT_CHANGES_KEEP_MS,
    private readonly intervalMs = TRIM_INTERVAL_MS,
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      this.#running = this.trim().then(
        () => {},
        (err) =>
          this.logger.warn({ err: (err as Error).message }, 'could not trim the change streams; retrying'),
      );
    }, this.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One round; returns the sequence numbers trimmed through (0: nothing). */
  async trim(now = Date.now()): Promise<{ changes: number; bodies: number }> {
    const floor = (await this.jsm.consumers.info(CHANGES_STREAM, LEDGER_CONSUMER)).ack_floor.stream_seq;
    const changes = await this.jsm.streams.info(CHANGES_STREAM);
    const bodies = await this.jsm.streams.info(BODIES_STREAM);
    this.#rounds.push({
      at: now,
      floor,
      changesLast: changes.state.last_seq,
      bodiesLast: bodies.state.last_seq,
    });
    if (this.#rounds.length > MAX_ROUNDS) this.#rounds.shift();
    const max = changes.config.max_bytes;
    const full = max > 0 && changes.state.bytes >= NEARLY_FULL * max;
    let through = 0;
    if (full) through = floor;
    else for (const r of this.#rounds) if (r.at <= now - this.keepMs) through = Math.max(through, r.floor);
    const out = { changes: 0, bodies: 0 };
    if (through >= changes.state.first_seq && through > 0) {
      await this.jsm.streams.purge(CHANGES_STREAM, { seq: through + 1 });
      out.changes = through;
      if (full)
        this.logger.warn(
          { through },
          'INGRESS_CHANGES nearly full: committed changes trimmed before changes-keep',
        );
    }
    // Bodies of round i are done once round i+1's changes are trimmed.
    let bodiesThrough = 0;
    let used = 0;
    for (let i = 0; i + 1 < this.#rounds.length; i++) {
      if ((this.#rounds[i + 1]?.changesLast ?? Number.MAX_SAFE_INTEGER) > through) break;
      bodiesThrough = this.#rounds[i]?.bodiesLast ?? 0;
      used = i + 1;
    }
    if (bodiesThrough >= bodies.state.first_seq && bodiesThrough > 0) {
      await this.jsm.streams.purge(BODIES_STREAM, { seq: bodiesThrough + 1 });
      out.bodies = bodiesThrough;
    }
    this.#rounds.splice(0, used);
    return out;
  }
}

// The changes feed of one output (docs/alerts.md, "Every change"): every entry of the ledger's log,
// read with WatchEntries (which sends only entries inside a published checkpoint) from the position
// this output saved, sent in batches, and the position saved only after the receiver took a batch.
//
// Obligations:
// - At least once, in log order: a batch that fails is sent again (with backoff doubling up to its
//   cap, without end: a change is never given up on) before anything after it; a restart resumes
//   from the saved position, so at most the last unacknowledged batch is sent twice.
// - Never slows the ledger: the feed is one more reader of the log. While a receiver is down the
//   feed stops reading; the ledger ends a stalled stream and the feed opens a new one from its
//   position when the receiver is back. The lag metric says how far behind it is.
// - A leaf that is not a change is counted and skipped (the ledger admitted it, so this is a
//   notify bug or a newer schema, not a reason to stop the feed).
import type { Logger } from 'pino';
import type { Entry, Ledger } from '../../../packages/proto/index.js';
import type { createClient } from '../../../packages/rpc/index.js';
import type { NotifyMetrics } from '../metrics.js';
import { type ChangeDoc, changeDoc } from './change-doc.js';
import type { ChangeSender } from './change-senders.js';
import type { PositionFile } from './position.js';

export type LedgerClient = ReturnType<typeof createClient<typeof Ledger>>;

export interface FeedOptions {
  client: LedgerClient;
  sender: ChangeSender;
  position: PositionFile;
  metrics: NotifyMetrics;
  logger: Logger;
  /** Most entries in one request. */
  batch: number;
  /** How long a batch waits for more entries after its first. */
  lingerMs: number;
  backoffMs: number;
  backoffMaxMs: number;
}

const TIMEOUT = Symbol('timeout');

export class ChangesFeed {
  #next = 0n;
  #stop = new AbortController();
  #done: Promise<void> | undefined;
  readonly #o: FeedOptions;

  constructor(o: FeedOptions) {
    this.#o = o;
  }

  /** The next index to send (what is saved). */
  get next(): bigint {
    return this.#next;
  }

  /** Reads the saved position (a damaged file throws) and starts the loop. */
  start(): void {
    this.#next = this.#o.position.read();
    this.#done = this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }

  async #run(): Promise<void> {
    const { logger, sender } = this.#o;
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        await this.#stream();
        // The ledger ended the stream (it is stopping): wait a little, as after a failure.
        failures = 0;
        await this.#sleep(this.#o.backoffMs);
      } catch (err) {
        if (this.#stop.signal.aborted) break;
        failures++;
        logger.warn(
          { output: sender.name, err: (err as Error).message, next: this.#next.toString() },
          'changes feed: the ledger stream ended; reconnecting',
        );
        await this.#sleep(this.#delay(failures));
      }
    }
  }

  /** One WatchEntries stream, batch after batch, until it fails or the feed stops. */
  async #stream(): Promise<void> {
    const { client, batch: max, lingerMs } = this.#o;
    const ac = new AbortController();
    const onStop = () => ac.abort();
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    const iter = client
      .watchEntries({ fromIndex: this.#next }, { signal: ac.signal })
      [Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<Entry>> | undefined;
    const nextEntry = () => {
      const p = iter.next();
      // A stream that fails while a batch is being delivered must not be an unhandled rejection.
      p.catch(() => {});
      return p;
    };
    try {
      for (;;) {
        pending ??= nextEntry();
        const first = await pending;
        pending = undefined;
        if (first.done === true) return;
        const entries = [first.value];
        const deadline = Date.now() + lingerMs;
        while (entries.length < max) {
          pending = nextEntry();
          const r = await Promise.race([pending, this.#timer(deadline - Date.now())]);
          if (r === TIMEOUT) break; // the pending read carries over to the next batch
          pending = undefined;
          if (r.done === true) break;
          entries.push(r.value);
        }
        await this.#deliver(entries);
        if (this.#stop.signal.aborted) return;
      }
    } finally {
      this.#stop.signal.removeEventListener('abort', onStop);
      ac.abort();
    }
  }

  async #deliver(entries: Entry[]): Promise<void> {
    const { client, sender, metrics, logger, position } = this.#o;
    const last = entries[entries.length - 1]!.index;
    if (entries[0]!.index !== this.#next)
      throw new Error(`stream sent index ${entries[0]!.index}, not ${this.#next}`);
    // WatchEntries sent only entries below the published size, which only grows: the checkpoint
    // published now covers every entry of the batch.
    const cp = await client.getCheckpoint({}, { deadline: 30_000, signal: this.#stop.signal });
    const docs: ChangeDoc[] = [];
    for (const e of entries) {
      const d = changeDoc(e, cp.size);
      if (d === undefined) {
        metrics.changesMalformed.inc({ output: sender.name });
        logger.error(
          { output: sender.name, index: e.index.toString() },
          'changes feed: entry is not a change; skipped',
        );
      } else docs.push(d);
    }
    let failures = 0;
    while (docs.length > 0) {
      try {
        await sender.send(docs);
        metrics.changesSent.inc({ output: sender.name }, docs.length);
        break;
      } catch (err) {
        metrics.changesFailed.inc({ output: sender.name });
        failures++;
        logger.warn(
          { output: sender.name, err: (err as Error).message, entries: docs.length, attempt: failures },
          'changes feed: delivery failed; retrying',
        );
        await this.#refreshLag();
        await this.#sleep(this.#delay(failures));
        if (this.#stop.signal.aborted) return; // not saved: sent again after a restart
      }
    }
    position.save(last + 1n);
    this.#next = last + 1n;
    metrics.changesLag.set({ output: sender.name }, Number(cp.size - this.#next));
  }

  /** While a receiver is down the lag still grows with the log: the gauge must show it. */
  async #refreshLag(): Promise<void> {
    const { client, metrics, sender } = this.#o;
    try {
      const cp = await client.getCheckpoint({}, { deadline: 10_000, signal: this.#stop.signal });
      metrics.changesLag.set({ output: sender.name }, Number(cp.size - this.#next));
    } catch {
      // The ledger is away too; the stream's own failure reports it.
    }
  }

  #delay(failures: number): number {
    const { backoffMs, backoffMaxMs } = this.#o;
    return Math.min(backoffMaxMs, backoffMs * 2 ** Math.min(failures - 1, 30));
  }

  #timer(ms: number): Promise<typeof TIMEOUT> {
    return new Promise((r) => setTimeout(() => r(TIMEOUT), Math.max(0, ms)));
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((r) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        r();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

// Following a log: export steps in a loop, a pause between them, and an exponential backoff after a
// failure. A failure never ends the loop (the log must not wait on its export), only the signal does.
import type { StepResult } from './exporter.js';

/** Pause between steps when the last one succeeded. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 2_000;
/** First pause after a failure; it doubles with each failure in a row. */
export const FIRST_BACKOFF_MS = 1_000;
/** Longest pause after failures. */
export const MAX_BACKOFF_MS = 5 * 60_000;

export interface FollowOptions {
  intervalMs?: number;
  maxBackoffMs?: number;
  signal: AbortSignal;
  onStep?(result: StepResult): void;
  onError?(err: unknown, retryInMs: number): void;
}

export async function follow(step: () => Promise<StepResult>, o: FollowOptions): Promise<void> {
  const interval = o.intervalMs ?? DEFAULT_FOLLOW_INTERVAL_MS;
  const maxBackoff = o.maxBackoffMs ?? MAX_BACKOFF_MS;
  let failures = 0;
  while (!o.signal.aborted) {
    let pause = interval;
    try {
      const result = await step();
      o.onStep?.(result);
      failures = 0;
    } catch (err) {
      pause = Math.min(maxBackoff, FIRST_BACKOFF_MS * 2 ** Math.min(failures, 30));
      failures++;
      o.onError?.(err, pause);
    }
    await sleep(pause, o.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

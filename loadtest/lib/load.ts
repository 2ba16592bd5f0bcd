// A small reusable load generator: `concurrency` calls in flight for `durationMs`, optionally paced
// to `rate` calls per second, with latency percentiles. The call function is the only seam, so the
// same loop drives gRPC, HTTP or in-process benchmarks.
import { performance } from 'node:perf_hooks';

/** Warm-up before measuring: JIT, connection set-up and pools settle first. */
export const DEFAULT_WARMUP_MS = 1000;

export interface LoadOptions {
  /** One call; a rejection counts as an error (keyed by its `code`, when it has one). */
  call: () => Promise<unknown>;
  /** Calls kept in flight. */
  concurrency: number;
  /** How long to measure, after the warm-up. */
  durationMs: number;
  /** Calls per second to start (open loop); omit to go as fast as `concurrency` allows. */
  rate?: number;
  warmupMs?: number;
  /** Called once when the warm-up ends and measuring starts (e.g. to sample the server's CPU). */
  onMeasureStart?: () => void;
}

export interface LoadResult {
  calls: number;
  errors: number;
  /** Error counts by code (or "other"). */
  errorCodes: Record<string, number>;
  seconds: number;
  callsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? Number.NaN;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' || typeof code === 'string' ? String(code) : 'other';
}

function validate(o: LoadOptions): void {
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1)
    throw new RangeError('concurrency: want an integer >= 1');
  if (!(o.durationMs > 0)) throw new RangeError('durationMs: want > 0');
  if (o.rate !== undefined && !(o.rate > 0)) throw new RangeError('rate: want > 0');
}

/**
 * Runs the load and reports what the measured window saw. With a rate, latency counts from each
 * call's scheduled start, so a stalled server shows up as latency rather than a quietly lower rate.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  validate(opts);
  const warmupMs = opts.warmupMs ?? DEFAULT_WARMUP_MS;
  const interval = opts.rate === undefined ? 0 : 1000 / opts.rate;
  const t0 = performance.now();
  const measureFrom = t0 + warmupMs;
  const stopAt = measureFrom + opts.durationMs;
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  let errors = 0;
  const errorCodes: Record<string, number> = {};
  let scheduled = 0;

  const measureTimer = setTimeout(() => opts.onMeasureStart?.(), warmupMs);
  const worker = async () => {
    for (;;) {
      let start = performance.now();
      if (interval > 0) {
        const slot = t0 + scheduled++ * interval;
        if (slot > start) await new Promise((r) => setTimeout(r, slot - start));
        start = slot;
      }
      if (start >= stopAt) return;
      let failed: unknown;
      try {
        await opts.call();
      } catch (err) {
        failed = err ?? 'other';
      }
      if (start < measureFrom) continue;
      if (failed !== undefined) {
        errors++;
        const code = errorCode(failed);
        errorCodes[code] = (errorCodes[code] ?? 0) + 1;
        continue;
      }
      if (n === latencies.length) {
        const grown = new Float64Array(n * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[n++] = performance.now() - start;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  clearTimeout(measureTimer);
  const seconds = (Math.max(performance.now(), stopAt) - measureFrom) / 1000;
  const sorted = latencies.subarray(0, n).sort();
  return {
    calls: n,
    errors,
    errorCodes,
    seconds,
    callsPerSecond: n / seconds,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: percentile(sorted, 100),
  };
}

/** One line for a human: name, rate, percentiles, errors. */
export function formatResult(name: string, r: LoadResult): string {
  const ms = (v: number) => v.toFixed(2);
  const errs = r.errors === 0 ? '' : ` errors=${r.errors} ${JSON.stringify(r.errorCodes)}`;
  return (
    `${name}: ${Math.round(r.callsPerSecond)} calls/s (${r.calls} in ${r.seconds.toFixed(1)} s) ` +
    `p50=${ms(r.p50Ms)} ms p90=${ms(r.p90Ms)} ms p99=${ms(r.p99Ms)} ms max=${ms(r.maxMs)} ms${errs}`
  );
}

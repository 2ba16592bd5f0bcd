// A progress bar with rate and ETA, drawn on stderr only when it is a terminal.
import { io } from './output.js';

/** Redraws at most this often. */
const REDRAW_MS = 100;
const BAR_WIDTH = 30;

export class Progress {
  private readonly started = Date.now();
  private last = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = stream.isTTY === true;
  }

  update(done: bigint, total: bigint, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < REDRAW_MS) return;
    this.last = now;
    const frac = total === 0n ? 1 : Number((done * 10_000n) / total) / 10_000;
    const filled = Math.round(frac * BAR_WIDTH);
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? Number(done) / secs : 0;
    const eta = rate > 0 ? Number(total - done) / rate : Number.NaN;
    const line =
      `${this.label} [${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${(frac * 100).toFixed(1)}% ` +
      `${done.toLocaleString()}/${total.toLocaleString()}  ${Math.round(rate).toLocaleString()}/s  ETA ${formatSecs(eta)}`;
    io.err(`\r\u001b[2K${line}`);
  }

  done(): void {
    if (this.enabled) io.err('\r\u001b[2K');
  }
}

/**
 * A time left as `42s`, `3m07s` or `2h05m`. It rounds up to whole seconds once, before splitting
 * into units, so 119.5 s reads `2m00s` and never `1m60s`.
 */
export function formatSecs(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--';
  const whole = Math.ceil(s);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  const minutes = Math.ceil(whole / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

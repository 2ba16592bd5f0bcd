// The changes feed's saved position per output: the next log index to send, in
// `<data-dir>/feed-<output>.position`. Written to a temporary file, flushed and renamed over the old
// one, so a crash leaves the old position or the new one, never a torn file. Saved only after the
// output acknowledged a batch: a restart resends at most that batch (at least once).
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const MAX_POSITION_BYTES = 32;

export class PositionError extends Error {
  override readonly name = 'PositionError';
}

export class PositionFile {
  readonly path: string;
  constructor(dataDir: string, output: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.path = join(dataDir, `feed-${output}.position`);
  }

  /** The saved position, or 0 when none was saved yet; a damaged file throws (never restarts at 0). */
  read(): bigint {
    let text: string;
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0n;
      throw new PositionError(`${this.path}: ${(err as Error).message}`);
    }
    try {
      // A position is at most 21 bytes; read no more than that of whatever the file holds.
      const buf = Buffer.alloc(MAX_POSITION_BYTES + 1);
      const n = readSync(fd, buf, 0, buf.length, 0);
      if (n > MAX_POSITION_BYTES) throw new PositionError(`${this.path} is too large to be a position`);
      text = buf.subarray(0, n).toString('utf8');
    } catch (err) {
      if (err instanceof PositionError) throw err;
      throw new PositionError(`${this.path}: ${(err as Error).message}`);
    } finally {
      closeSync(fd);
    }
    const t = text.trim();
    if (!/^(0|[1-9][0-9]{0,19})$/.test(t))
      throw new PositionError(`${this.path} does not hold a log index (remove it to start from 0)`);
    return BigInt(t);
  }

  save(next: bigint): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${next}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

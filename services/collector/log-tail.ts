// Follows a kube-apiserver audit log (JSON lines) across rotation (rename and create) and truncation:
// the I/O loop around the pure line framer (line-framer.ts).
// The saved position only moves after JetStream acknowledged every line before it, so a restart
// resumes with nothing lost; a batch re-sent after a crash is deduplicated by Nats-Msg-Id.
import { readdirSync, statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ChangeError } from '../../packages/change/index.js';
import type { Logger } from '../../packages/runtime/index.js';
import { type AuditItem, logItems } from './audit-input.js';
import { type Frame, frameLines } from './line-framer.js';
import type { CollectorMetrics } from './metrics.js';
import { readPosition, type TailPosition, writePosition } from './position.js';
import type { ChangePublisher } from './publisher.js';

/** How much of a line with too many items is kept as the rejected item's bytes. */
const TOO_MANY_ITEMS_PREFIX_CHARS = 4096;

export interface LogTailOptions {
  path: string;
  positionFile: string;
  publisher: ChangePublisher;
  metrics: CollectorMetrics;
  logger: Logger;
  pollIntervalMs: number;
  batchLines: number;
  /** Longest line; a longer one is rejected (its first bytes go to INGRESS_REJECTED). */
  maxLineBytes: number;
  /** A line (an EventList, an AKS records batch) with more items becomes one rejected item. */
  maxLineItems: number;
  publishDeadlineMs: number;
}

export interface RunningTail {
  close(): Promise<void>;
}

/** Read this much of the file at a time. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Wait this long after a failed publish before retrying the same lines; doubles up to the max. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

interface OpenFile {
  fh: FileHandle;
  dev: string;
  ino: string;
}

async function openIfExists(path: string): Promise<OpenFile | undefined> {
  try {
    const fh = await open(path, 'r');
    const st = await fh.stat({ bigint: true });
    return { fh, dev: String(st.dev), ino: String(st.ino) };
  } catch {
    return undefined;
  }
}

function identityAt(path: string): { dev: string; ino: string; size: number } | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return { dev: String(st.dev), ino: String(st.ino), size: Number(st.size) };
  } catch {
    return undefined;
  }
}

/** A rotated copy of the log (same device and inode as the saved position), for resuming after restart. */
function findRotated(path: string, p: TailPosition): string | undefined {
  const dir = dirname(path);
  const stem = basename(path).replace(/\.log$/, '');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!name.startsWith(stem) || join(dir, name) === path) continue;
    const id = identityAt(join(dir, name));
    if (id !== undefined && id.dev === p.dev && id.ino === p.ino) return join(dir, name);
  }
  return undefined;
}

export function startLogTail(o: LogTailOptions): RunningTail {
  let closed = false;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  let file: OpenFile | undefined;
  let offset = 0; // after the last acknowledged line
  let pending = Buffer.alloc(0); // bytes after offset, not yet a complete line
  let discarding = false; // inside an over-long line, until its newline

  const save = () => {
    if (file !== undefined) writePosition(o.positionFile, { dev: file.dev, ino: file.ino, offset });
  };

  // Publishes the items until acknowledged; retries with backoff (never skips) until closed.
  const publish = async (items: AuditItem[]): Promise<boolean> => {
    let wait = RETRY_MIN_MS;
    while (!closed) {
      try {
        await o.publisher.publishBatch(items, 'audit-log', Date.now() + o.publishDeadlineMs);
        return true;
      } catch (err) {
        o.logger.warn(
          { err: (err as Error).message, retryInMs: wait },
          'audit log batch not published; retrying',
        );
        await sleep(wait);
        wait = Math.min(wait * 2, RETRY_MAX_MS);
      }
    }
    return false;
  };

  const itemsOf = (frames: Frame[]): AuditItem[] => {
    const items: AuditItem[] = [];
    for (const frame of frames) {
      if (frame.kind === 'too-long') {
        items.push({
          invalid: frame.prefix,
          error: new ChangeError('TOO_LARGE', `audit log line over ${o.maxLineBytes} bytes`),
        });
        continue;
      }
      if (frame.text.trim() === '') continue;
      const got = logItems(frame.text);
      if (Array.isArray(got) && got.length > o.maxLineItems) {
        items.push({
          invalid: frame.text.slice(0, TOO_MANY_ITEMS_PREFIX_CHARS),
          error: new ChangeError(
            'TOO_LARGE',
            `audit log line of ${got.length} items; at most ${o.maxLineItems}`,
          ),
        });
      } else if (Array.isArray(got)) items.push(...got);
      else o.metrics.skipped.inc({ source: 'audit-log', reason: 'kind' });
    }
    return items;
  };

  // Publishes the complete lines in pending, a batch at a time; false if closed before acknowledgement.
  const drainLines = async (final: boolean): Promise<boolean> => {
    for (;;) {
      const framed = frameLines(pending, discarding, {
        maxFrames: o.batchLines,
        maxLineBytes: o.maxLineBytes,
        final,
      });
      if (framed.used === 0) return true;
      const items = itemsOf(framed.frames);
      if (items.length > 0 && !(await publish(items))) return false;
      offset += framed.used;
      pending = pending.subarray(framed.used);
      discarding = framed.discarding;
      save();
      if (framed.frames.length < o.batchLines) return true;
    }
  };

  const readMore = async (): Promise<number> => {
    if (file === undefined) return 0;
    const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const { bytesRead } = await file.fh.read(buf, 0, buf.length, offset + pending.length);
    if (bytesRead > 0) pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
    return bytesRead;
  };

  const switchTo = async (next: OpenFile | undefined, at: number) => {
    await file?.fh.close();
    file = next;
    offset = at;
    pending = Buffer.alloc(0);
    discarding = false;
    save();
  };

  const resume = async () => {
    const saved = readPosition(o.positionFile);
    const current = await openIfExists(o.path);
    if (saved === undefined) return switchTo(current, 0);
    if (current !== undefined && current.dev === saved.dev && current.ino === saved.ino) {
      const size = Number((await current.fh.stat()).size);
      file = current;
      offset = saved.offset <= size ? saved.offset : 0;
      return;
    }
    const rotated = findRotated(o.path, saved);
    if (rotated !== undefined) {
      // Finish the file we were reading when we stopped, then carry on with the new one.
      const old = await openIfExists(rotated);
      if (old !== undefined) {
        file = old;
        offset = saved.offset;
        while (!closed && (await readMore()) > 0) if (!(await drainLines(false))) return;
        if (!(await drainLines(true))) return;
      }
    } else {
      o.logger.warn(
        { path: o.path },
        'saved audit log position names a file that is gone; starting at the current file',
      );
    }
    await current?.fh.close();
    return switchTo(await openIfExists(o.path), 0);
  };

  const loop = async () => {
    await resume();
    while (!closed) {
      const n = await readMore();
      if (n > 0) {
        if (!(await drainLines(false))) break;
        continue;
      }
      const id = identityAt(o.path);
      if (file === undefined) {
        if (id !== undefined) await switchTo(await openIfExists(o.path), 0);
      } else if (id === undefined || id.dev !== file.dev || id.ino !== file.ino) {
        // Rotated: read what was written to the old file after our last read, then switch.
        while (!closed && (await readMore()) > 0) if (!(await drainLines(false))) break;
        if (closed || !(await drainLines(true))) break;
        await switchTo(await openIfExists(o.path), 0);
        continue;
      } else if (id.size < offset + pending.length) {
        o.logger.info({ path: o.path }, 'audit log truncated; reading from the start');
        offset = 0;
        pending = Buffer.alloc(0);
        discarding = false;
        save();
        continue;
      }
      await sleep(o.pollIntervalMs);
    }
  };

  // An unexpected error (say, the position file's disk is full) restarts the tail from its saved position.
  const run = async () => {
    while (!closed) {
      try {
        await loop();
      } catch (err) {
        o.logger.error({ err: (err as Error).message }, 'audit log tail failed; restarting');
        await file?.fh.close().catch(() => undefined);
        file = undefined;
        await sleep(RETRY_MAX_MS);
      }
    }
  };
  const done = run();
  return {
    close: async () => {
      closed = true;
      wake?.();
      await done;
      await file?.fh.close().catch(() => undefined);
    },
  };
}

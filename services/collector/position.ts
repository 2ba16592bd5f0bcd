// The audit-log tail's saved read position: which file (device and inode, as decimal strings because
// inode numbers can exceed 2^53) and the byte offset after the last line that JetStream acknowledged.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { isObject } from '../../packages/change/index.js';

export interface TailPosition {
  dev: string;
  ino: string;
  offset: number;
}

/** The saved position, or undefined when there is none (first start) or it is unreadable. */
export function readPosition(path: string): TailPosition | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  if (
    !isObject(doc) ||
    typeof doc.dev !== 'string' ||
    typeof doc.ino !== 'string' ||
    typeof doc.offset !== 'number' ||
    !Number.isSafeInteger(doc.offset) ||
    doc.offset < 0
  ) {
    return undefined;
  }
  return { dev: doc.dev, ino: doc.ino, offset: doc.offset };
}

/** Saves atomically (write, fsync, rename) so a crash leaves the old or the new position, never half. */
export function writePosition(path: string, p: TailPosition): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(p)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

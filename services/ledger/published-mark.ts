// The last published checkpoint, kept as a file beside the store. The store keeps its published
// checkpoints too, but a store restored from an old backup (or an old disk snapshot) rolls those
// back with it, and a ledger started on it would sign a second history that the witnesses refuse
// forever, while the webhook keeps answering 200. The file is written after every publication, and
// at start the store must contain the tree it names: the same root at its size.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseCheckpoint, parseNote } from '../../packages/tlog/index.js';

/** File name in the ledger's data dir. */
export const PUBLISHED_MARK_FILE = 'published-checkpoint';
/** Longer than any checkpoint note this ledger publishes (a few witnesses' lines). */
const MAX_MARK_BYTES = 64 * 1024;

/** What the check needs of the store. */
export interface MarkedStore {
  readonly size: bigint;
  rootAt(size: bigint): Uint8Array;
}

export const publishedMarkPath = (dataDir: string) => join(dataDir, PUBLISHED_MARK_FILE);

/** Whether the data dir holds a mark (this ledger published, and no one moved the mark out). */
export const hasPublishedMark = (dataDir: string) => existsSync(publishedMarkPath(dataDir));

/** Replaces the mark with `note`, durably (written, synced, then renamed into place). */
export function writePublishedMark(dataDir: string, note: string): void {
  const file = publishedMarkPath(dataDir);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, note);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * Why the store cannot be the log that published the marked checkpoint, or undefined when it can
 * (or nothing was published yet). The mark is our own file, but it is read as input all the same.
 */
export function rollbackProblem(dataDir: string, store: MarkedStore): string | undefined {
  const file = publishedMarkPath(dataDir);
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_MARK_BYTES) return `${file} is larger than any checkpoint`;
    text = bytes.toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `${file} cannot be read: ${(err as Error).message}`;
  }
  let size: bigint;
  let root: Uint8Array;
  try {
    const cp = parseCheckpoint(parseNote(text).text);
    size = cp.size;
    root = cp.rootHash;
  } catch (err) {
    return `${file} is not a checkpoint note: ${(err as Error).message}`;
  }
  if (store.size < size) {
    return `the store holds ${store.size} entries, but a checkpoint of size ${size} was published (${file}): the store was rolled back`;
  }
  if (!Buffer.from(store.rootAt(size)).equals(Buffer.from(root))) {
    return `the store's tree at size ${size} is not the published one (${file}): the store was rolled back or replaced`;
  }
  return undefined;
}

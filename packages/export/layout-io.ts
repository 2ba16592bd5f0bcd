// The two seams of an export: reading a tlog-tiles layout (a tiles server, an export directory or
// bucket) and writing one. Keys are layout paths (`checkpoint`, `tile/0/x001/234`, `bodies/<hex>`),
// always made by this package, never taken from input.

/** Read side of a layout. */
export interface LayoutReader {
  /** Where it reads from, for messages. */
  readonly describe: string;
  /**
   * The object's bytes, or undefined when it does not exist. An object larger than `max` bytes is
   * ExportError SOURCE without being read whole; so is any failure to read.
   */
  read(key: string, max: number): Promise<Uint8Array | undefined>;
}

/** What putOnce found: the object is new, or was already there with exactly these bytes. */
export type PutOutcome = 'written' | 'same';

/** Write side of an export. */
export interface LayoutWriter extends LayoutReader {
  /**
   * Writes an immutable object. MUST be atomic: a reader sees the whole object or none, also after
   * a crash mid-write. MUST NOT replace an existing object: one with other bytes is ExportError
   * CONFLICT, one with the same bytes is 'same' (so a rerun is idempotent).
   */
  putOnce(key: string, bytes: Uint8Array): Promise<PutOutcome>;
  /** Replaces the one mutable object (`checkpoint`), atomically. */
  putLatest(key: string, bytes: Uint8Array): Promise<void>;
  /** Releases connections; optional. */
  close?(): void;
}

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

// Files that are read again when their content changes: TLS certificates and keys, bearer tokens.
// Kubernetes mounts a Secret as symlinks into a directory that it swaps atomically (cert-manager
// renews that way), and fs.watch does not follow such a swap reliably on every platform; so the
// files are polled, and their content (not their mtime) decides whether anything changed.
//
// Obligations: `current` only ever holds a value that `load` accepted. Content that `load` refuses,
// or a file that cannot be read, keeps the previous value and is reported to `onError` once (until
// the content changes again). `onChange` is called once per accepted change, never for the first
// value. Nothing here throws after `pollFiles` has returned.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** How often the files are read again: renewal happens well ahead of expiry, so seconds suffice. */
export const DEFAULT_POLL_INTERVAL_MS = 2000;

export interface PolledFilesOptions<T> {
  /** The files, read in this order; `load` gets their bytes in the same order. */
  files: readonly string[];
  /** Turns the bytes into the value in use; throws when they cannot serve. */
  load(contents: Buffer[]): T;
  onChange(value: T): void;
  onError(err: Error): void;
  intervalMs?: number;
}

export interface PolledFiles<T> {
  readonly current: T;
  /** Stops polling (idempotent). */
  stop(): void;
}

function readAll(files: readonly string[]): { contents: Buffer[]; digest: string } {
  const h = createHash('sha256');
  const contents = files.map((f) => {
    const b = readFileSync(f);
    // The length first, so that bytes moving from one file to the next still change the digest.
    h.update(`${b.length}:`).update(b);
    return b;
  });
  return { contents, digest: h.digest('hex') };
}

/**
 * Reads and loads the files now (throwing what reading or `load` throws, for the caller to report
 * as a configuration error), then every `intervalMs` while not stopped.
 */
export function pollFiles<T>(o: PolledFilesOptions<T>): PolledFiles<T> {
  const first = readAll(o.files);
  let current = o.load(first.contents);
  let seen = first.digest;
  let failure: string | undefined;
  const report = (key: string, err: Error) => {
    if (failure === key) return;
    failure = key;
    o.onError(err);
  };
  const tick = () => {
    let next: ReturnType<typeof readAll>;
    try {
      next = readAll(o.files);
    } catch (err) {
      report(`read:${(err as Error).message}`, err as Error);
      return;
    }
    if (next.digest === seen) {
      failure = undefined;
      return;
    }
    try {
      current = o.load(next.contents);
    } catch (err) {
      report(`load:${next.digest}`, err as Error);
      return;
    }
    seen = next.digest;
    failure = undefined;
    o.onChange(current);
  };
  const timer = setInterval(tick, o.intervalMs ?? DEFAULT_POLL_INTERVAL_MS);
  timer.unref();
  return {
    get current() {
      return current;
    },
    stop: () => clearInterval(timer),
  };
}

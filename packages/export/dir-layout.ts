// A layout in a directory. Immutable objects are written to a temporary file, synced, then
// hard-linked to their name: link() fails when the name exists, so nothing is ever replaced, and
// a crash leaves at most a temporary file, never a half object under a real name. Objects are
// made read-only (0444). Temporary files live in `.export-tmp/`, cleared when an exporter opens it.
import { randomBytes } from 'node:crypto';
import { type FileHandle, link, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExportError } from './errors.js';
import { type LayoutReader, type LayoutWriter, type PutOutcome, sameBytes } from './layout-io.js';

const TMP_DIR = '.export-tmp';
const TOO_LARGE = Symbol('too large');

function errno(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

// Asynchronous throughout: the ledger runs this beside its ingest, which must never wait on an fsync.
export class DirLayout implements LayoutWriter {
  readonly describe: string;

  constructor(readonly root: string) {
    this.describe = root;
  }

  async read(key: string, max: number): Promise<Uint8Array | undefined> {
    const got = await this.#readFile(key, max);
    if (got === TOO_LARGE) throw new ExportError('SOURCE', `${this.root}/${key}: larger than ${max} bytes`);
    return got;
  }

  async #readFile(key: string, max: number): Promise<Uint8Array | typeof TOO_LARGE | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(join(this.root, key), 'r');
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
      throw new ExportError('SOURCE', `${this.root}/${key}: ${errno(err)}`);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new ExportError('SOURCE', `${this.root}/${key}: not a regular file`);
      if (st.size > max) return TOO_LARGE;
      const buf = new Uint8Array(st.size);
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return buf.subarray(0, off);
    } catch (err) {
      if (err instanceof ExportError) throw err;
      throw new ExportError('SOURCE', `${this.root}/${key}: ${errno(err)}`);
    } finally {
      await fh.close();
    }
  }

  /** Opens the directory as a target: creates it and clears temporary files a killed run left. */
  openForWriting(): this {
    this.#ready = (async () => {
      try {
        await rm(join(this.root, TMP_DIR), { recursive: true, force: true });
        await mkdir(join(this.root, TMP_DIR), { recursive: true });
      } catch (err) {
        throw new ExportError('TARGET', `${this.root}: ${errno(err)}`);
      }
    })();
    this.#ready.catch(() => {}); // reported by the first write
    return this;
  }

  #ready: Promise<void> = Promise.resolve();

  async #temp(bytes: Uint8Array): Promise<string> {
    await this.#ready;
    const temp = join(this.root, TMP_DIR, `${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await open(temp, 'wx', 0o444);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return temp;
  }

  async putOnce(key: string, bytes: Uint8Array): Promise<PutOutcome> {
    const path = join(this.root, key);
    const existing = await this.#readFile(key, bytes.length);
    if (existing !== undefined) return this.#compare(key, existing, bytes);
    let temp: string | undefined;
    try {
      await mkdir(dirname(path), { recursive: true });
      temp = await this.#temp(bytes);
      await link(temp, path);
      await syncDir(dirname(path));
      return 'written';
    } catch (err) {
      if (errno(err) === 'EEXIST') {
        // Written meanwhile (another exporter): it must hold the same bytes.
        const now = await this.#readFile(key, bytes.length);
        if (now !== undefined) return this.#compare(key, now, bytes);
      }
      if (err instanceof ExportError) throw err;
      throw new ExportError('TARGET', `${path}: ${errno(err)}`);
    } finally {
      if (temp !== undefined) await rm(temp, { force: true });
    }
  }

  #compare(key: string, existing: Uint8Array | typeof TOO_LARGE, bytes: Uint8Array): PutOutcome {
    if (existing !== TOO_LARGE && sameBytes(existing, bytes)) return 'same';
    throw new ExportError('CONFLICT', `${this.root}/${key} exists with other bytes than the log's`);
  }

  async putLatest(key: string, bytes: Uint8Array): Promise<void> {
    const path = join(this.root, key);
    let temp: string | undefined;
    try {
      await mkdir(dirname(path), { recursive: true });
      temp = await this.#temp(bytes);
      await rename(temp, path);
      temp = undefined;
      await syncDir(dirname(path));
    } catch (err) {
      if (err instanceof ExportError) throw err;
      throw new ExportError('TARGET', `${path}: ${errno(err)}`);
    } finally {
      if (temp !== undefined) await rm(temp, { force: true });
    }
  }
}

/** A directory's entry for a new name survives power loss only once the directory is synced. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A directory read as a layout (an export being restored, or exported again). */
export function dirReader(root: string): LayoutReader {
  return new DirLayout(root);
}

// Files and key texts the user hands the command. Everything here is treated as hostile: sizes are
// capped before reading, and a file that does not parse is a configuration error (exit 2).
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MAX_LEAF_BYTES } from '../../packages/change/index.js';
import { parseVkeyList } from '../../packages/runtime/index.js';
import {
  type Policy,
  type PublicKey,
  parseNote,
  parsePolicy,
  parseTlogProof,
  parseVkey,
  type TlogProof,
} from '../../packages/tlog/index.js';
import { CliError } from './errors.js';

/** A policy file is a few lines per log and witness; anything this large is not one. */
export const MAX_POLICY_BYTES = 64 * 1024;
/** A tlog-proof holds at most 63 hashes and one checkpoint with its cosignatures. */
export const MAX_PROOF_BYTES = 256 * 1024;
/** Vkey lists and state files are small text files. */
export const MAX_TEXT_FILE_BYTES = 1024 * 1024;

/** Reads at most max bytes of a file; larger files are refused without reading them. */
export function readCapped(path: string, max: number, what: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new CliError('CONFIG', `${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot open'}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CliError('CONFIG', `${what} ${path}: not a regular file`);
    if (st.size > max) throw new CliError('CONFIG', `${what} ${path}: larger than ${max} bytes`);
    const buf = new Uint8Array(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function readText(path: string, max: number, what: string): string {
  const bytes = readCapped(path, max, what);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new CliError('CONFIG', `${what} ${path}: not UTF-8 text`);
  }
}

const why = (err: unknown): string =>
  err instanceof Error ? `${(err as { code?: string }).code ?? 'ERROR'}: ${err.message}` : String(err);

export function readPolicy(path: string): { policy: Policy; text: string } {
  const text = readText(path, MAX_POLICY_BYTES, 'policy');
  try {
    return { policy: parsePolicy(text), text };
  } catch (err) {
    throw new CliError('CONFIG', `policy ${path}: ${why(err)}`);
  }
}

export function readProof(path: string): TlogProof {
  const bytes = readCapped(path, MAX_PROOF_BYTES, 'proof');
  try {
    return parseTlogProof(bytes);
  } catch (err) {
    throw new CliError('CONFIG', `proof ${path}: ${why(err)}`);
  }
}

/**
 * Reads a leaf file and checks that it parses as one: a signed note whose text is a single line.
 * Whether it is the leaf the proof is about is verification's question (exit 1), not this one's.
 */
export function readLeaf(path: string): Uint8Array {
  const leaf = readCapped(path, MAX_LEAF_BYTES, 'leaf');
  let text: string;
  try {
    text = parseNote(leaf).text;
  } catch (err) {
    throw new CliError('CONFIG', `leaf ${path}: not a signed note (${why(err)})`);
  }
  if (text.indexOf('\n') !== text.length - 1) {
    throw new CliError('CONFIG', `leaf ${path}: the note text is not one line`);
  }
  return leaf;
}

/**
 * The file of collector vkeys kept beside a policy (`up` writes one into its data dir; an evidence
 * bundle carries one). `verify` and `audit` read it when no collector key is given on the command line.
 */
export const COLLECTOR_VKEYS_FILE = 'collector.vkeys';

/**
 * Collector keys from `--collector-vkey` texts and `--collector-vkeys` files, or else from the
 * `collector.vkeys` file beside the policy when there is one.
 */
export function collectorKeysFor(
  policyPath: string,
  texts: readonly string[],
  files: readonly string[],
): { keys: PublicKey[]; source?: string } {
  if (texts.length > 0 || files.length > 0) return { keys: collectorKeys(texts, files) };
  const beside = join(dirname(policyPath), COLLECTOR_VKEYS_FILE);
  if (!existsSync(beside)) return { keys: [] };
  return { keys: collectorKeys([], [beside]), source: beside };
}

/** Collector keys from `--collector-vkey` texts and `--collector-vkeys` files. */
export function collectorKeys(texts: readonly string[], files: readonly string[]): PublicKey[] {
  const keys: PublicKey[] = [];
  for (const t of texts) {
    try {
      keys.push(parseVkey(t.trim()));
    } catch (err) {
      throw new CliError('CONFIG', `--collector-vkey: ${why(err)}`);
    }
  }
  for (const f of files) {
    try {
      keys.push(...parseVkeyList(readText(f, MAX_TEXT_FILE_BYTES, 'vkeys file'), f));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError('CONFIG', `--collector-vkeys ${why(err)}`);
    }
  }
  for (const k of keys) {
    if (!k.name.startsWith('collector/')) {
      throw new CliError('CONFIG', `collector key ${k.name}: a collector key is named collector/<cluster>`);
    }
  }
  return keys;
}

// The monitor's memory: the last checkpoint it verified and trusted, and the compact range of that
// tree (which it derived itself, so it can resume without trusting anything the server says).
// Written atomically (temporary file, then rename) so a crash never leaves half a state.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { CompactRange, decodeBase64, encodeBase64, parseDecimal } from '../../../packages/tlog/index.js';
import { CliError } from '../errors.js';
import { MAX_TEXT_FILE_BYTES, readText } from '../inputs.js';
import type { VerifiedCheckpoint } from '../verification/checkpoint-check.js';

export const STATE_VERSION = 1;

export interface AuditState {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
  /** The whole cosigned checkpoint note that was trusted. */
  checkpoint: string;
  /** The tree's compact range at `size`, derived by the auditor from the entries. */
  range: CompactRange;
  /** When it was written (ISO 8601), for people. */
  updatedAt: string;
}

interface StateFile {
  version: number;
  origin: string;
  size: string;
  rootHash: string;
  checkpoint: string;
  compactRange: string;
  updatedAt: string;
}

/** Reads a state file; undefined when it does not exist yet (the first run trusts on first use). */
export function readState(path: string): AuditState | undefined {
  if (!existsSync(path)) return undefined;
  const text = readText(path, MAX_TEXT_FILE_BYTES, 'state');
  try {
    const raw = JSON.parse(text) as Partial<StateFile>;
    if (raw.version !== STATE_VERSION) throw new Error(`unsupported version ${String(raw.version)}`);
    if (typeof raw.origin !== 'string' || typeof raw.size !== 'string')
      throw new Error('origin or size missing');
    if (typeof raw.rootHash !== 'string' || typeof raw.checkpoint !== 'string')
      throw new Error('root missing');
    if (typeof raw.compactRange !== 'string') throw new Error('compactRange missing');
    const size = parseDecimal(raw.size);
    const rootHash = decodeBase64(raw.rootHash);
    const range = CompactRange.decode(decodeBase64(raw.compactRange));
    if (range.size !== size) throw new Error('compact range does not match size');
    if (Buffer.compare(range.root(), rootHash) !== 0) throw new Error('compact range does not match root');
    return {
      origin: raw.origin,
      size,
      rootHash,
      checkpoint: raw.checkpoint,
      range,
      updatedAt: typeof raw.updatedAt === 'string' ? raw.updatedAt : '',
    };
  } catch (err) {
    throw new CliError('CONFIG', `state ${path}: ${(err as Error).message}`);
  }
}

/**
 * The state a clean pass earns: its checkpoint and the compact range the auditor rebuilt at that
 * checkpoint's size. Callers MUST only save it from a pass that reported no failures.
 */
export function stateAfter(vc: VerifiedCheckpoint, range: CompactRange): Omit<AuditState, 'updatedAt'> {
  const { origin, size, rootHash } = vc.checkpoint;
  return { origin, size, rootHash, checkpoint: vc.note, range };
}

export function writeState(path: string, s: Omit<AuditState, 'updatedAt'>): void {
  const file: StateFile = {
    version: STATE_VERSION,
    origin: s.origin,
    size: s.size.toString(),
    rootHash: encodeBase64(s.rootHash),
    checkpoint: s.checkpoint,
    compactRange: encodeBase64(s.range.encode()),
    updatedAt: new Date().toISOString(),
  };
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (err) {
    throw new CliError(
      'CONFIG',
      `state ${path}: cannot write: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

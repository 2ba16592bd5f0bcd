// One export step: from the tree size the target already holds to the source's current
// checkpoint. Everything is verified before anything is written, and written bottom-up (bodies,
// entry bundles, hash tiles, `checkpoints/<size>`, then `checkpoint`), so the target's
// `checkpoint` only ever names a tree whose every object is already there. That is also the
// resume point: a step killed half-way left the old `checkpoint`, and the next one rewrites the
// same immutable objects (each found present with the same bytes) and goes on.
//
// Partial tiles and bundles are exported under their `.p/<W>` names: they are immutable too, and
// without them an export could not be read at its own checkpoint. A later step adds the wider ones.
import { bodyRefsOfLeaf } from '../change/index.js';
import {
  type Checkpoint,
  entriesPath,
  getCrypto,
  parseEntryBundle,
  rootAt,
  TILE_WIDTH,
  type TlogError,
  tilePath,
  tileWidth,
} from '../tlog/index.js';
import { type CheckpointCheck, noteText } from './checkpoint-trust.js';
import { ExportError } from './errors.js';
import { bodyKey, CHECKPOINT_KEY, checkpointKey, MAX_BYTES } from './layout.js';
import type { LayoutReader, LayoutWriter, PutOutcome } from './layout-io.js';
import { forEachLimit } from './pool.js';
import { checkBundle, checkTiles, type TileRef, TileSet, tilesFor } from './tree-check.js';

/** Objects read or written at once (bundles with their bodies, tiles). */
export const DEFAULT_EXPORT_CONCURRENCY = 8;

export type ObjectKind = 'checkpoint' | 'tile' | 'bundle' | 'body';

export interface ExportEvents {
  /** An immutable object was written ('written') or found already there ('same'). */
  object?(kind: ObjectKind, outcome: PutOutcome): void;
  /** Entries exported in this step so far, of how many. */
  progress?(done: bigint, total: bigint): void;
}

export interface ExportStepOptions {
  source: LayoutReader;
  target: LayoutWriter;
  check: CheckpointCheck;
  /**
   * Published checkpoints with from < size < to, oldest first, when the source can list them (the
   * ledger's own exporter): each is verified against the tiles and kept as checkpoints/<size>.
   */
  between?: (from: bigint, to: bigint) => readonly string[];
  concurrency?: number;
  events?: ExportEvents;
}

export interface StepResult {
  /** Tree size the target held before the step. */
  from: bigint;
  /** Tree size the target holds now. */
  to: bigint;
  /** The source's checkpoint size (to, unless the target is ahead). */
  sourceSize: bigint;
}

const W = BigInt(TILE_WIDTH);

/** The checkpoint the target holds (verified), or undefined for an empty target. */
export async function exportedCheckpoint(
  target: LayoutReader,
  check: CheckpointCheck,
): Promise<{ checkpoint: Checkpoint; note: string } | undefined> {
  const bytes = await target.read(CHECKPOINT_KEY, MAX_BYTES.checkpoint);
  if (bytes === undefined) return undefined;
  const note = noteText(bytes, `${target.describe}: checkpoint`);
  try {
    return { checkpoint: check(note), note };
  } catch (err) {
    throw new ExportError(
      'VERIFY_FAILED',
      `${target.describe}: its checkpoint does not verify: ${(err as Error).message}`,
    );
  }
}

export async function exportStep(o: ExportStepOptions): Promise<StepResult> {
  const { source, target, check } = o;
  const limit = o.concurrency ?? DEFAULT_EXPORT_CONCURRENCY;
  const srcBytes = await source.read(CHECKPOINT_KEY, MAX_BYTES.checkpoint);
  if (srcBytes === undefined) throw new ExportError('SOURCE', `${source.describe}: no checkpoint`);
  const note = noteText(srcBytes, `${source.describe}: checkpoint`);
  const cp = check(note);
  const done = await exportedCheckpoint(target, check);
  const from = done?.checkpoint.size ?? 0n;
  if (cp.size <= from) {
    if (cp.size === from && done !== undefined && !same(cp.rootHash, done.checkpoint.rootHash))
      throw new ExportError('CONFLICT', `the export holds another tree of size ${from} than the log: a fork`);
    return { from, to: from, sourceSize: cp.size };
  }

  const refs = tilesFor(from, cp.size);
  const tiles = new TileSet();
  await forEachLimit(refs, limit, async (ref) => {
    const path = tilePath(ref.level, ref.index, ref.width);
    const bytes = await source.read(path, MAX_BYTES.tile);
    if (bytes === undefined) throw new ExportError('SOURCE', `${source.describe}: no ${path}`);
    tiles.add(ref, bytes);
  });
  checkTiles(tiles, refs, cp, done?.checkpoint);

  const bundles: bigint[] = [];
  for (let i = from / W; i * W < cp.size; i++) bundles.push(i);
  let exported = 0n;
  const total = cp.size - from;
  await forEachLimit(bundles, limit, async (index) => {
    const width = tileWidth(0, index, cp.size);
    const path = entriesPath(index, width);
    const bytes = await source.read(path, MAX_BYTES.bundle);
    if (bytes === undefined) throw new ExportError('SOURCE', `${source.describe}: no ${path}`);
    let entries: Uint8Array[];
    try {
      entries = parseEntryBundle(bytes);
    } catch (err) {
      throw new ExportError('VERIFY_FAILED', `entry bundle ${index}: ${(err as TlogError).message}`);
    }
    checkBundle(tiles, index, width, entries);
    const first = index * W;
    for (let i = 0; i < entries.length; i++) {
      if (first + BigInt(i) < from) continue;
      for (const ref of bodyRefsOfLeaf(entries[i]!)) await copyBody(o, ref, first + BigInt(i));
    }
    noteObject(o, 'bundle', await target.putOnce(path, bytes));
    exported += BigInt(entries.length) - (first < from ? from - first : 0n);
    o.events?.progress?.(exported, total);
  });

  await forEachLimit(refs, limit, async (ref: TileRef) => {
    const path = tilePath(ref.level, ref.index, ref.width);
    noteObject(o, 'tile', await target.putOnce(path, tiles.get(ref.level, ref.index)!));
  });
  for (const older of o.between?.(from, cp.size) ?? []) {
    const c = check(older);
    if (c.size <= from || c.size >= cp.size || !same(rootAt(c.size, tiles.node), c.rootHash))
      throw new ExportError(
        'VERIFY_FAILED',
        `published checkpoint ${c.size} is not consistent with ${cp.size}`,
      );
    noteObject(o, 'checkpoint', await putCheckpoint(target, check, c, older));
  }
  noteObject(o, 'checkpoint', await putCheckpoint(target, check, cp, note));
  await target.putLatest(CHECKPOINT_KEY, srcBytes);
  return { from, to: cp.size, sourceSize: cp.size };
}

async function copyBody(
  o: ExportStepOptions,
  ref: { sha256: string; size: number },
  leaf: bigint,
): Promise<void> {
  let key: string;
  try {
    key = bodyKey(ref.sha256);
  } catch {
    throw new ExportError('VERIFY_FAILED', `leaf ${leaf} names a body by a digest that is not hex sha256`);
  }
  if (!Number.isSafeInteger(ref.size) || ref.size < 0 || ref.size > MAX_BYTES.body)
    throw new ExportError('VERIFY_FAILED', `leaf ${leaf} names a body of ${ref.size} bytes`);
  const bytes = await o.source.read(key, ref.size);
  if (bytes === undefined) throw new ExportError('SOURCE', `${o.source.describe}: no ${key} (leaf ${leaf})`);
  const digest = Buffer.from(getCrypto().sha256(bytes)).toString('hex');
  if (bytes.length !== ref.size || digest !== ref.sha256)
    throw new ExportError('VERIFY_FAILED', `${key} (leaf ${leaf}) does not match its digest`);
  noteObject(o, 'body', await o.target.putOnce(key, bytes));
}

/**
 * Keeps a checkpoint as checkpoints/<size>. Another valid note for the same tree (cosigned at
 * another time, say by a step that was killed before it wrote `checkpoint`) is not a conflict:
 * both are true statements about the same tree. Anything else there is.
 */
async function putCheckpoint(
  target: LayoutWriter,
  check: CheckpointCheck,
  cp: Checkpoint,
  note: string,
): Promise<PutOutcome> {
  const key = checkpointKey(cp.size);
  try {
    return await target.putOnce(key, new TextEncoder().encode(note));
  } catch (err) {
    if (!(err instanceof ExportError) || err.code !== 'CONFLICT') throw err;
    const there = await target.read(key, MAX_BYTES.checkpoint);
    let other: Checkpoint | undefined;
    try {
      other = there === undefined ? undefined : check(noteText(there, key));
    } catch {
      other = undefined;
    }
    if (other !== undefined && other.size === cp.size && same(other.rootHash, cp.rootHash)) return 'same';
    throw err;
  }
}

// Not `o.events?.object?.(kind, await put())`: an optional call skips evaluating its arguments.
function noteObject(o: ExportStepOptions, kind: ObjectKind, outcome: PutOutcome): void {
  o.events?.object?.(kind, outcome);
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

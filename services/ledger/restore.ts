// Rebuilds a ledger data dir from an export (packages/export): every hash tile is checked against
// the export's latest checkpoint (its signature and witness quorum), every leaf against its leaf
// hash, every body against its digest, and the rebuilt tree's root against the checkpoint once
// more. The database is built beside the data dir and moved in only when all of it verified, so a
// refused or interrupted restore leaves the data dir as it was. The restored ledger then appends
// to the same log: its last published checkpoint is the export's, which its witnesses hold.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { bodyRefsOfLeaf, changeIdentity } from '../../packages/change/index.js';
import {
  bodyKey,
  CHECKPOINT_KEY,
  type CheckpointCheck,
  checkBundle,
  checkTiles,
  ExportError,
  forEachLimit,
  type LayoutReader,
  MAX_BYTES,
  noteText,
  TileSet,
  tilesFor,
} from '../../packages/export/index.js';
import {
  entriesPath,
  getCrypto,
  parseEntryBundle,
  TILE_WIDTH,
  tilePath,
  tileWidth,
} from '../../packages/tlog/index.js';
import { type AppendItem, DB_FILE, LogStore } from './store.js';

/** Bundles fetched ahead of the one being appended. */
const READ_AHEAD = 8;
const W = BigInt(TILE_WIDTH);

export interface RestoreOptions {
  source: LayoutReader;
  dataDir: string;
  check: CheckpointCheck;
  onProgress?(done: bigint, total: bigint): void;
}

export interface Restored {
  origin: string;
  size: bigint;
}

export async function restoreLedger(o: RestoreOptions): Promise<Restored> {
  refuseNonEmpty(o.dataDir);
  const bytes = await o.source.read(CHECKPOINT_KEY, MAX_BYTES.checkpoint);
  if (bytes === undefined)
    throw new ExportError('SOURCE', `${o.source.describe}: no checkpoint: not an export`);
  const note = noteText(bytes, 'checkpoint');
  const cp = o.check(note);
  const refs = tilesFor(0n, cp.size);
  const tiles = new TileSet();
  await forEachLimit(refs, READ_AHEAD, async (ref) => {
    const path = tilePath(ref.level, ref.index, ref.width);
    const tile = await o.source.read(path, MAX_BYTES.tile);
    if (tile === undefined) throw new ExportError('VERIFY_FAILED', `the export lacks ${path}`);
    tiles.add(ref, tile);
  });
  checkTiles(tiles, refs, cp);

  const temp = join(dirname(o.dataDir), `.${basename(o.dataDir)}.restore-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  const store = new LogStore(temp);
  try {
    const count = (cp.size + W - 1n) / W;
    for (let start = 0n; start < count; start += BigInt(READ_AHEAD)) {
      const batch: bigint[] = [];
      for (let i = start; i < count && i < start + BigInt(READ_AHEAD); i++) batch.push(i);
      const items = await Promise.all(batch.map((i) => bundleItems(o.source, tiles, i, cp.size)));
      for (const [k, bundle] of items.entries()) {
        const outcomes = store.append(bundle);
        const dup = outcomes.indexOf('duplicate');
        if (dup >= 0)
          throw new ExportError(
            'VERIFY_FAILED',
            `leaf ${(batch[k] ?? 0n) * W + BigInt(dup)} repeats an earlier entry's identity`,
          );
      }
      o.onProgress?.(store.size, cp.size);
    }
    if (store.size !== cp.size || !same(store.root(), cp.rootHash))
      throw new ExportError(
        'VERIFY_FAILED',
        `the rebuilt tree does not have the root of checkpoint ${cp.size}`,
      );
    store.merge();
    store.addCheckpoint({ size: cp.size, note });
    store.addPublished({ size: cp.size, note });
    store.close();
    moveInto(temp, o.dataDir);
    return { origin: cp.origin, size: cp.size };
  } finally {
    store.close();
    rmSync(temp, { recursive: true, force: true });
  }
}

async function bundleItems(
  source: LayoutReader,
  tiles: TileSet,
  index: bigint,
  size: bigint,
): Promise<AppendItem[]> {
  const width = tileWidth(0, index, size);
  const path = entriesPath(index, width);
  const bytes = await source.read(path, MAX_BYTES.bundle);
  if (bytes === undefined) throw new ExportError('VERIFY_FAILED', `the export lacks ${path}`);
  let leaves: Uint8Array[];
  try {
    leaves = parseEntryBundle(bytes);
  } catch (err) {
    throw new ExportError('VERIFY_FAILED', `entry bundle ${index}: ${(err as Error).message}`);
  }
  checkBundle(tiles, index, width, leaves);
  const items: AppendItem[] = [];
  for (const [i, leaf] of leaves.entries()) {
    const at = index * W + BigInt(i);
    const bodies = new Map<string, Uint8Array>();
    for (const ref of bodyRefsOfLeaf(leaf)) bodies.set(ref.sha256, await body(source, ref, at));
    items.push({ leaf, leafHash: tiles.hash(0, index, i), identity: identityOf(leaf, at), bodies });
  }
  return items;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `<cluster>/<auditID>` of a leaf: what the ledger deduplicates by. */
function identityOf(leaf: Uint8Array, at: bigint): string {
  const end = leaf.indexOf(0x0a);
  try {
    const change = JSON.parse(utf8.decode(leaf.subarray(0, end < 0 ? leaf.length : end))) as Record<
      string,
      unknown
    >;
    if (typeof change.cluster === 'string' && typeof change.auditID === 'string')
      return changeIdentity({ cluster: change.cluster, auditID: change.auditID });
  } catch {
    // Falls through: a leaf the ledger admitted always parses.
  }
  throw new ExportError('VERIFY_FAILED', `leaf ${at} is not a change (no cluster and auditID)`);
}

async function body(
  source: LayoutReader,
  ref: { sha256: string; size: number },
  at: bigint,
): Promise<Uint8Array> {
  let key: string;
  try {
    key = bodyKey(ref.sha256);
  } catch {
    throw new ExportError('VERIFY_FAILED', `leaf ${at} names a body by a digest that is not hex sha256`);
  }
  if (!Number.isSafeInteger(ref.size) || ref.size < 0 || ref.size > MAX_BYTES.body)
    throw new ExportError('VERIFY_FAILED', `leaf ${at} names a body of ${ref.size} bytes`);
  const data = await source.read(key, ref.size);
  if (data === undefined) throw new ExportError('VERIFY_FAILED', `the export lacks ${key} (leaf ${at})`);
  if (data.length !== ref.size || Buffer.from(getCrypto().sha256(data)).toString('hex') !== ref.sha256)
    throw new ExportError('VERIFY_FAILED', `${key} (leaf ${at}) does not match its digest`);
  return data;
}

function refuseNonEmpty(dataDir: string): void {
  let names: string[];
  try {
    if (!statSync(dataDir).isDirectory())
      throw new ExportError('USAGE', `--data-dir ${dataDir}: not a directory`);
    names = readdirSync(dataDir);
  } catch (err) {
    if (err instanceof ExportError) throw err;
    return; // does not exist: created by the move
  }
  if (names.length > 0)
    throw new ExportError(
      'USAGE',
      `--data-dir ${dataDir} is not empty: restore only into an empty or new directory`,
    );
}

/** Moves the restored database into the data dir (created, or empty). */
function moveInto(temp: string, dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  refuseNonEmpty(dataDir);
  for (const name of readdirSync(temp))
    if (name.startsWith(DB_FILE)) renameSync(join(temp, name), join(dataDir, name));
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

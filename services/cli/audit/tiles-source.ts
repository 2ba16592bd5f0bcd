// The audit's view of a log published as static tlog-tiles (DESIGN 10): entries come from the entry
// bundles, and each leaf's "claimed" hash from the level-0 hash tile, so the workers' usual check
// (the leaf hashes to what the server claims) checks every level-0 tile entry by entry. The tiles
// above are checked after the rebuild (checkHashTiles): each of their hashes must be the root of
// the full tile below it. Proofs are built from the tiles, never taken on trust.
import { bodyRefsOfLeaf } from '../../../packages/change/index.js';
import {
  fetchCheckpointNote,
  foldHashes,
  type TileFetcher,
  TileLog,
  TilesError,
} from '../../../packages/tiles-client/index.js';
import {
  HASH_SIZE,
  parseCheckpoint,
  parseNote,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileWidth,
} from '../../../packages/tlog/index.js';
import { tilesFailure } from '../tiles-options.js';
import { VerificationError } from '../verification/errors.js';
import type { Fail } from './failures.js';
import type { BodyView, EntriesView } from './get-entries-response-fast.js';
import type { LogSource } from './log-source.js';

const WIDTH = BigInt(TILE_WIDTH);
const utf8 = new TextEncoder();

/** Rounds an entries batch up to whole tiles, so that every bundle is fetched once. */
export function tileAlignedBatch(batchSize: number): number {
  return Math.ceil(batchSize / TILE_WIDTH) * TILE_WIDTH;
}

export class TilesLogSource implements LogSource {
  readonly #fetcher: TileFetcher;
  #log: TileLog | undefined;
  /** The root of every full level-0 tile whose every hash a worker checked against its leaf. */
  readonly #checkedRoots = new Map<bigint, Uint8Array>();

  constructor(fetcher: TileFetcher) {
    this.#fetcher = fetcher;
  }

  get #where(): string {
    return this.#fetcher.location;
  }

  async checkpoint(): Promise<string> {
    let note: string;
    try {
      note = await fetchCheckpointNote(this.#fetcher);
    } catch (err) {
      if (
        err instanceof TilesError &&
        err.code !== 'UNREACHABLE' &&
        err.code !== 'TIMEOUT' &&
        err.code !== 'BAD_STATUS'
      ) {
        throw new VerificationError('CHECKPOINT', `tiles ${this.#where}: ${err.message}`);
      }
      throw tilesFailure(err, this.#where);
    }
    // The auditor verifies the note; its size only tells which tiles to read (a bad one fails there).
    try {
      this.#log = new TileLog(this.#fetcher, parseCheckpoint(parseNote(note).text).size);
    } catch {
      this.#log = undefined;
    }
    return note;
  }

  #tiles(): TileLog {
    if (this.#log === undefined)
      throw new VerificationError('CHECKPOINT', `tiles ${this.#where}: no checkpoint read`);
    return this.#log;
  }

  async entries(start: bigint, end: bigint): Promise<EntriesView> {
    const log = this.#tiles();
    const n = start / WIDTH;
    let leaves: Uint8Array[];
    let tile: Uint8Array;
    try {
      [leaves, tile] = await Promise.all([log.entryBundle(n), log.hashTile(0, n)]);
    } catch (err) {
      throw tilesFailure(err, this.#where, n * WIDTH);
    }
    const from = Number(start - n * WIDTH);
    const to = end - n * WIDTH < BigInt(leaves.length) ? Number(end - n * WIDTH) : leaves.length;
    const view = await this.#view(
      log,
      start,
      leaves.slice(from, to),
      tile.subarray(from * HASH_SIZE, to * HASH_SIZE),
    );
    if (from === 0 && to === TILE_WIDTH) this.#checkedRoots.set(n, foldHashes(tile, 0, TILE_WIDTH));
    return view;
  }

  /** The entries laid out as the workers read an answer: leaves, then the tile's hashes. */
  async #view(log: TileLog, start: bigint, leaves: Uint8Array[], hashes: Uint8Array): Promise<EntriesView> {
    const count = leaves.length;
    const total = leaves.reduce((s, l) => s + l.length, 0) + hashes.length;
    const bytes = new Uint8Array(total);
    const spans = new Uint32Array(4 * count);
    const indexes = new Uint32Array(2 * count);
    const bodies: BodyView[] = [];
    let at = 0;
    const hashesAt = total - hashes.length;
    bytes.set(hashes, hashesAt);
    for (let i = 0; i < count; i++) {
      const leaf = leaves[i] as Uint8Array;
      bytes.set(leaf, at);
      spans.set([at, at + leaf.length, hashesAt + i * HASH_SIZE, hashesAt + (i + 1) * HASH_SIZE], 4 * i);
      at += leaf.length;
      const index = start + BigInt(i);
      indexes[2 * i] = Number(index & 0xffffffffn);
      indexes[2 * i + 1] = Number(index >> 32n);
      for (const ref of bodyRefsOfLeaf(leaf)) {
        let data: Uint8Array | undefined;
        try {
          data = await log.body(ref.sha256);
        } catch (err) {
          throw tilesFailure(err, this.#where, index);
        }
        if (data === undefined) {
          throw new VerificationError(
            'ENTRY',
            `entry ${index}: body ${ref.sha256.slice(0, 16)}… is missing`,
            index,
          );
        }
        bodies.push({ entry: i, sha256: utf8.encode(ref.sha256), data });
      }
    }
    return { bytes, count, indexes, spans, bodies };
  }

  async consistencyProof(from: bigint, to: bigint): Promise<Uint8Array[]> {
    try {
      return await this.#tiles().consistencyProof(from, to);
    } catch (err) {
      throw tilesFailure(err, this.#where, undefined);
    }
  }

  async inclusionProof(index: bigint, size: bigint): Promise<Uint8Array[]> {
    try {
      return await this.#tiles().inclusionProof(index, size);
    } catch (err) {
      throw tilesFailure(err, this.#where, index);
    }
  }

  /**
   * After a clean rebuild: every hash of every tile above level 0 must be the root of the full tile
   * below it, as far as those were checked in this pass (all of them, unless it resumed). Reports a
   * differing hash as TILE at the first leaf under it.
   */
  async checkHashTiles(fail: Fail): Promise<number> {
    const log = this.#tiles();
    let below = this.#checkedRoots;
    let checked = 0;
    for (let level = 1; log.size >> BigInt(level * TILE_HEIGHT) > 0n; level++) {
      const span = BigInt(level * TILE_HEIGHT);
      const roots = new Map<bigint, Uint8Array>();
      for (let j = 0n; tileWidth(level, j, log.size) > 0; j++) {
        const width = tileWidth(level, j, log.size);
        let tile: Uint8Array;
        try {
          tile = await log.hashTile(level, j);
        } catch (err) {
          const e = tilesFailure(err, this.#where, (j * WIDTH) << span);
          if (!(e instanceof VerificationError)) throw e;
          fail(new VerificationError('TILE', e.message, e.index));
          continue;
        }
        let whole = width === TILE_WIDTH;
        for (let k = 0; k < width; k++) {
          const child = j * WIDTH + BigInt(k);
          const want = below.get(child);
          if (want === undefined) {
            whole = false;
            continue;
          }
          checked++;
          const got = tile.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE);
          if (Buffer.compare(got, want) !== 0) {
            whole = false;
            const first = child << span;
            fail(
              new VerificationError(
                'TILE',
                `hash tile ${level}/${j}: hash ${k} is not the root of entries ${first} to ${first + (1n << span) - 1n}`,
                first,
              ),
            );
          }
        }
        if (whole) roots.set(j, foldHashes(tile, 0, TILE_WIDTH));
      }
      below = roots;
    }
    return checked;
  }
}

// One entry's evidence read from static tlog-tiles (`prove --tiles`, `verify --tiles`): the latest
// checkpoint, the leaf from its entry bundle, an inclusion proof built from the hash tiles and the
// leaf's out-of-leaf bodies. Nothing here is trusted: the caller verifies it like any evidence.
import { bodyRefsOfLeaf } from '../../packages/change/index.js';
import {
  fetchCheckpointNote,
  type TileFetcher,
  TileLog,
  TilesError,
} from '../../packages/tiles-client/index.js';
import { type Checkpoint, parseCheckpoint, parseNote } from '../../packages/tlog/index.js';
import { CliError } from './errors.js';
import { tilesFailure } from './tiles-options.js';
import { VerificationError } from './verification/errors.js';

export interface TilesCheckpoint {
  note: string;
  checkpoint: Checkpoint;
  log: TileLog;
}

/** The latest checkpoint of the tiles and a reader of the tree it commits to. */
export async function tilesCheckpoint(fetcher: TileFetcher): Promise<TilesCheckpoint> {
  let note: string;
  try {
    note = await fetchCheckpointNote(fetcher);
  } catch (err) {
    if (err instanceof TilesError && (err.code === 'MISSING' || err.code === 'TOO_LARGE')) {
      throw new VerificationError('CHECKPOINT', `tiles ${fetcher.location}: ${err.message}`);
    }
    throw tilesFailure(err, fetcher.location);
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(parseNote(note).text);
  } catch (err) {
    throw new VerificationError(
      'CHECKPOINT',
      `tiles ${fetcher.location}: a malformed checkpoint: ${(err as Error).message}`,
    );
  }
  return { note, checkpoint, log: new TileLog(fetcher, checkpoint.size) };
}

export interface TilesEvidence {
  index: bigint;
  leaf: Uint8Array;
  hashes: Uint8Array[];
  bodies: { sha256: string; data: Uint8Array }[];
}

/** Entry `index`'s leaf, inclusion proof in the checkpoint's tree, and bodies. */
export async function tilesEvidence(t: TilesCheckpoint, index: bigint): Promise<TilesEvidence> {
  if (index >= t.checkpoint.size) {
    throw new CliError('USAGE', `--index ${index}: beyond the checkpoint's tree size ${t.checkpoint.size}`);
  }
  try {
    const leaf = await t.log.leaf(index);
    const hashes = await t.log.inclusionProof(index);
    const bodies: TilesEvidence['bodies'] = [];
    for (const ref of bodyRefsOfLeaf(leaf)) {
      const data = await t.log.body(ref.sha256);
      if (data === undefined) {
        throw new VerificationError(
          'ENTRY',
          `entry ${index}: body ${ref.sha256.slice(0, 16)}… is missing`,
          index,
        );
      }
      bodies.push({ sha256: ref.sha256, data });
    }
    return { index, leaf, hashes, bodies };
  } catch (err) {
    throw tilesFailure(err, t.log.fetcher.location, index);
  }
}

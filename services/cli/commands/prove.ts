import { Command } from 'commander';
import type { Entry } from '../../../packages/proto/index.js';
import {
  formatTlogProof,
  type Policy,
  type PublicKey,
  parseCheckpoint,
  parseNote,
} from '../../../packages/tlog/index.js';
import { type ClientOptions, openLedger, withClientOptions } from '../client-options.js';
import { CliError } from '../errors.js';
import { type Evidence, writeBundle, writeOne } from '../evidence-bundle.js';
import { collect, collectIndexes } from '../flags.js';
import { collectorKeys, readPolicy } from '../inputs.js';
import { callFailed, type LedgerApi } from '../ledger-client.js';
import { tilesCheckpoint, tilesEvidence } from '../tiles-evidence.js';
import { openTilesFor, sourceOf } from '../tiles-options.js';
import { checkCheckpoint } from '../verification/checkpoint-check.js';
import { VerificationError } from '../verification/errors.js';
import { verifyEvidence } from '../verification/evidence.js';
import { type SearchFilters, searchAll, withSearchFilters } from './search.js';

interface ProveOptions extends Omit<ClientOptions, 'grpc'>, SearchFilters {
  grpc?: string;
  tiles?: string;
  index?: bigint[];
  out?: string;
  bundle?: string;
  policy?: string;
  collectorVkey?: string[];
  collectorVkeys?: string[];
}

export function proveCommand(): Command {
  return withSearchFilters(withClientOptions(new Command('prove'), { orTiles: true }))
    .description(
      "write an entry's leaf (FILE.leaf) and proof (FILE.tlog-proof), or an evidence bundle folder (--bundle)",
    )
    .option('--index <n>', 'entry index (repeatable, or comma-separated)', collectIndexes)
    .option('--out <file>', 'path prefix for one entry: writes FILE.leaf and FILE.tlog-proof')
    .option('--bundle <dir>', 'write an evidence bundle for the --index entries or the search results')
    .option(
      '--policy <file>',
      'tlog-policy to check the evidence with before writing it (required for --bundle)',
    )
    .option('--collector-vkey <vkey>', 'a trusted collector vkey (repeatable)', collect)
    .option('--collector-vkeys <file>', 'a file of trusted collector vkeys (repeatable)', collect)
    .action((o: ProveOptions) => prove(o));
}

const SEARCH_KEYS = [
  'cluster',
  'namespace',
  'name',
  'user',
  'action',
  'verb',
  'resource',
  'host',
  'responseCode',
  'risk',
  'since',
  'until',
  'text',
] as const;

async function prove(o: ProveOptions): Promise<void> {
  const bySearch = SEARCH_KEYS.some((k) => o[k] !== undefined);
  if ((o.out === undefined) === (o.bundle === undefined))
    throw new CliError('USAGE', 'give exactly one of --out and --bundle');
  if (o.out !== undefined && (o.index?.length !== 1 || bySearch)) {
    throw new CliError('USAGE', '--out writes one entry: give exactly one --index');
  }
  if (o.bundle !== undefined && o.index === undefined && !bySearch) {
    throw new CliError('USAGE', '--bundle needs --index or search filters');
  }
  if (o.bundle !== undefined && o.policy === undefined)
    throw new CliError('USAGE', '--bundle needs --policy');
  const from = sourceOf(o);
  if (from === 'tiles' && bySearch) {
    throw new CliError('USAGE', 'search filters need --grpc: static tiles have no search; give --index');
  }
  const policy = o.policy === undefined ? undefined : readPolicy(o.policy).policy;
  const keys = collectorKeys(o.collectorVkey ?? [], o.collectorVkeys ?? []);
  if (from === 'tiles') return proveFromTiles(o, policy, keys);

  const grpc = o.grpc ?? '';
  const api = openLedger({ ...o, grpc });
  try {
    const note = await call(grpc, () => api.getCheckpoint()).then((c) => c.note);
    if (policy !== undefined) checkCheckpoint(note, policy);
    const cp = parseServedCheckpoint(note, grpc);
    const indexes = [...(o.index ?? [])];
    if (bySearch) {
      await call(grpc, async () => {
        for await (const r of searchAll(api, o)) if (r.entry !== undefined) indexes.push(r.entry.index);
      });
    }
    const unique = [...new Set(indexes)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const i of unique) {
      if (i >= cp.size) {
        // Nothing failed to verify: the request names an entry the log does not have (yet).
        throw new CliError('USAGE', `--index ${i}: beyond the checkpoint's tree size ${cp.size}`);
      }
    }
    const items: Evidence[] = [];
    for (const i of unique) items.push(await evidenceOf(api, grpc, i, note, cp.size, policy, keys));
    if (o.out !== undefined) writeOne(o.out, items[0] as Evidence, o.json === true);
    else writeBundle(o.bundle as string, items, cp, o, policy !== undefined, keys);
  } finally {
    api.close();
  }
}

async function call<T>(grpc: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof VerificationError || err instanceof CliError) throw err;
    throw callFailed(grpc, err);
  }
}

/** `prove --tiles`: the same evidence, read from static tiles and proven from their hash tiles. */
async function proveFromTiles(o: ProveOptions, policy: Policy | undefined, keys: readonly PublicKey[]) {
  const fetcher = openTilesFor(o);
  try {
    const t = await tilesCheckpoint(fetcher);
    if (policy !== undefined) checkCheckpoint(t.note, policy);
    const unique = [...new Set(o.index ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const items: Evidence[] = [];
    for (const i of unique) {
      const e = await tilesEvidence(t, i);
      const proof = { index: i, hashes: e.hashes, checkpoint: t.note };
      if (policy !== undefined) verifyEvidence(proof, e.leaf, policy, keys);
      items.push({ index: i, leaf: e.leaf, proof: formatTlogProof(proof), bodies: e.bodies });
    }
    if (o.out !== undefined) writeOne(o.out, items[0] as Evidence, o.json === true);
    else writeBundle(o.bundle as string, items, t.checkpoint, o, policy !== undefined, keys);
  } finally {
    fetcher.close();
  }
}

function parseServedCheckpoint(note: string, address: string) {
  try {
    return parseCheckpoint(parseNote(note).text);
  } catch (err) {
    throw new VerificationError(
      'CHECKPOINT',
      `ledger ${address} served a malformed checkpoint: ${(err as Error).message}`,
    );
  }
}

async function evidenceOf(
  api: LedgerApi,
  o: string,
  index: bigint,
  note: string,
  size: bigint,
  policy: Policy | undefined,
  keys: readonly PublicKey[],
): Promise<Evidence> {
  const entries: Entry[] = await call(o, () => api.getEntries(index, index + 1n));
  const entry = entries[0];
  if (entry === undefined || entry.index !== index) {
    throw new VerificationError('ENTRY', `the ledger did not return entry ${index}`, index);
  }
  const proof = await call(o, () => api.getInclusionProof(index, size));
  if (proof.treeSize !== size || proof.index !== index) {
    throw new VerificationError(
      'INCLUSION',
      `the ledger proved entry ${proof.index} in size ${proof.treeSize}`,
      index,
      size,
    );
  }
  const text = formatTlogProof({ index, hashes: proof.hashes, checkpoint: note });
  if (policy !== undefined) {
    verifyEvidence({ index, hashes: proof.hashes, checkpoint: note }, entry.leaf, policy, keys);
  }
  return {
    index,
    leaf: entry.leaf,
    proof: text,
    bodies: entry.bodies.map((b) => ({ sha256: b.sha256, data: b.data })),
  };
}

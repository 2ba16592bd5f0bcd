// `ingress-ledger verify`: offline verification of one entry's evidence (DESIGN 3.6 and 6), from
// its files, or read from the log's static tiles (--tiles, DESIGN 10) and verified the same way.
import { Command } from 'commander';
import type { TlogProof } from '../../../packages/tlog/index.js';
import { CliError } from '../errors.js';
import { collect, collectIndexes, parseInterval } from '../flags.js';
import { collectorKeysFor, readLeaf, readPolicy, readProof } from '../inputs.js';
import { b64, bold, fields, green, io, printJson, println, yellow } from '../output.js';
import { describeChange } from '../render-change.js';
import { tilesCheckpoint, tilesEvidence } from '../tiles-evidence.js';
import { openTilesFor, type TilesClientOptions } from '../tiles-options.js';
import { verifyEvidence } from '../verification/evidence.js';

interface VerifyOptions extends TilesClientOptions {
  policy: string;
  proof?: string;
  leaf?: string;
  index?: bigint[];
  collectorVkey?: string[];
  collectorVkeys?: string[];
  json?: boolean;
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'verify an entry offline: log signature, witness quorum, inclusion proof and collector signature',
    )
    .requiredOption('--policy <file>', 'tlog-policy file: the log and witness keys you trust, and the quorum')
    .option('--proof <file>', "the entry's .tlog-proof file")
    .option('--leaf <file>', "the entry's leaf (the collector's signed note)")
    .option(
      '--tiles <url|dir>',
      "instead of --proof and --leaf: read entry --index and its proof from the log's static tiles",
    )
    .option('--index <n>', 'with --tiles: the entry to verify', collectIndexes)
    .option('--tls-ca <file>', 'with an https --tiles URL: CA bundle (PEM) to verify the server with')
    .option('--tls-cert <file>', 'with an https --tiles URL: client certificate (PEM) for mutual TLS')
    .option('--tls-key <file>', 'with an https --tiles URL: client key (PEM) for mutual TLS')
    .option('--timeout <duration>', 'with --tiles: time limit of each request, like 30s', parseInterval)
    .option('--collector-vkey <vkey>', 'a trusted collector vkey (repeatable)', collect)
    .option(
      '--collector-vkeys <file>',
      'a file of trusted collector vkeys, one per line (repeatable)',
      collect,
    )
    .option('--json', 'print the result as JSON')
    .action((o: VerifyOptions) => verify(o));
}

/** The proof and leaf: from the files, or from the tiles (read here, verified below like files). */
async function evidence(o: VerifyOptions): Promise<{ proof: TlogProof; leaf: Uint8Array }> {
  if (o.tiles === undefined) {
    if (o.proof === undefined || o.leaf === undefined || o.index !== undefined) {
      throw new CliError('USAGE', 'give --proof and --leaf, or --tiles and --index');
    }
    return { proof: readProof(o.proof), leaf: readLeaf(o.leaf) };
  }
  if (o.proof !== undefined || o.leaf !== undefined || o.index?.length !== 1) {
    throw new CliError(
      'USAGE',
      '--tiles verifies one entry: give exactly one --index, and no --proof or --leaf',
    );
  }
  const index = o.index[0] as bigint;
  const fetcher = openTilesFor(o);
  try {
    const t = await tilesCheckpoint(fetcher);
    const e = await tilesEvidence(t, index);
    return { proof: { index, hashes: e.hashes, checkpoint: t.note }, leaf: e.leaf };
  } finally {
    fetcher.close();
  }
}

async function verify(o: VerifyOptions): Promise<void> {
  const { policy } = readPolicy(o.policy);
  const { proof, leaf } = await evidence(o);
  const { keys, source } = collectorKeysFor(o.policy, o.collectorVkey ?? [], o.collectorVkeys ?? []);
  if (source !== undefined) io.err(`collector keys: ${source}\n`);
  if (keys.length === 0) {
    io.err(
      "warning: no collector key (--collector-vkey, --collector-vkeys, or collector.vkeys beside the policy): the leaf's collector signature is not checked\n",
    );
  }
  const v = verifyEvidence(proof, leaf, policy, keys);
  const { origin, size, rootHash } = v.checkpoint;
  if (o.json === true) {
    printJson({
      ok: true,
      index: v.index,
      origin,
      size,
      rootHash: b64(rootHash),
      logVkey: v.logVkey,
      cosigners: v.cosigners,
      collector: v.signer ?? null,
      change: v.change,
    });
    return;
  }
  println(`${green('✓')} ${bold(`entry ${v.index}`)} is in ${origin} at tree size ${size}`);
  println(
    fields([
      ['log signature', `${v.logVkey.split('+').slice(0, 2).join('+')} ok`],
      ['witnesses', v.cosigners.length === 0 ? 'none required' : `${v.cosigners.join(', ')} (quorum met)`],
      ['inclusion', `ok (${proof.hashes.length} hashes)`],
      ['collector', v.signer === undefined ? yellow('not checked (no --collector-vkey)') : `${v.signer} ok`],
    ]),
  );
  println();
  println(fields(describeChange(v.change)));
}

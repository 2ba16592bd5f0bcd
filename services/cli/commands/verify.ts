// `ingress-ledger verify`: offline verification of one entry's evidence (DESIGN 3.6 and 6).
import { Command } from 'commander';
import { CliError } from '../errors.js';
import { collect } from '../flags.js';
import { collectorKeysFor, readLeaf, readPolicy, readProof } from '../inputs.js';
import { b64, bold, fields, green, io, printJson, println, yellow } from '../output.js';
import { describeChange } from '../render-change.js';
import { verifyEvidence } from '../verification/evidence.js';

interface VerifyOptions {
  policy: string;
  proof: string;
  leaf: string;
  collectorVkey?: string[];
  collectorVkeys?: string[];
  json?: boolean;
  /** false with --no-collector-check. */
  collectorCheck?: boolean;
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'verify an entry offline: log signature, witness quorum, inclusion proof and collector signature',
    )
    .requiredOption('--policy <file>', 'tlog-policy file: the log and witness keys you trust, and the quorum')
    .requiredOption('--proof <file>', "the entry's .tlog-proof file")
    .requiredOption('--leaf <file>', "the entry's leaf (the collector's signed note)")
    .option('--collector-vkey <vkey>', 'a trusted collector vkey (repeatable)', collect)
    .option(
      '--collector-vkeys <file>',
      'a file of trusted collector vkeys, one per line (repeatable)',
      collect,
    )
    .option('--no-collector-check', "skip the collector's signature on the leaf (checks its form only)")
    .option('--json', 'print the result as JSON')
    .action((o: VerifyOptions) => verify(o));
}

function verify(o: VerifyOptions): void {
  const { policy } = readPolicy(o.policy);
  const proof = readProof(o.proof);
  const leaf = readLeaf(o.leaf);
  const found =
    o.collectorCheck === false
      ? { keys: [] }
      : collectorKeysFor(o.policy, o.collectorVkey ?? [], o.collectorVkeys ?? []);
  const { keys } = found;
  if (found.source !== undefined) io.err(`collector keys: ${found.source}\n`);
  if (keys.length === 0 && o.collectorCheck !== false) {
    // Evidence must check out on its own: a verdict never quietly skips who signed the leaf.
    throw new CliError(
      'USAGE',
      "--collector-vkey: no collector key (give --collector-vkey or --collector-vkeys, put collector.vkeys beside the policy, or skip the leaf's signature with --no-collector-check)",
    );
  }
  if (o.collectorCheck === false)
    io.err("warning: --no-collector-check: the leaf's collector signature is not checked\n");
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
      ['collector', v.signer === undefined ? yellow('not checked (--no-collector-check)') : `${v.signer} ok`],
    ]),
  );
  println();
  println(fields(describeChange(v.change)));
}

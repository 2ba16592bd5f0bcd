// `ingress-ledger audit`: a monitor. Re-derives the tree from every entry, checks every collector
// signature on every core, the checkpoint's signatures and quorum, and consistency with the last
// checkpoint it trusted (--state). Once, or following the log (--follow). From the gRPC API, or
// from static tlog-tiles (--tiles), whose hash tiles are then checked too.
import { Command } from 'commander';
import { type AuditReport, auditOnce, DEFAULT_BATCH_SIZE, DEFAULT_MAX_FAILURES } from '../audit/auditor.js';
import { grpcLogSource } from '../audit/grpc-source.js';
import { DEFAULT_WORKERS, SignaturePool } from '../audit/signature-pool.js';
import { type AuditState, readState, stateAfter, writeState } from '../audit/state.js';
import { TilesLogSource, tileAlignedBatch } from '../audit/tiles-source.js';
import { endpointsFor, resolveCollectorKeys, resolvePolicy } from '../client-config.js';
import { type ClientOptions, openLedger, withClientOptions } from '../client-options.js';
import { CliError } from '../errors.js';
import { collect, parseInterval, positiveInt } from '../flags.js';
import type { LedgerApi } from '../ledger-client.js';
import { b64, fields, green, io, printJson, println, red, yellow } from '../output.js';
import { Progress } from '../progress.js';
import { openTilesFor, sourceOf } from '../tiles-options.js';

/** How often --follow asks for a new checkpoint. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 10_000;
/** Entries per batch from tiles: 4 bundles, so the fetches in flight hold a few megabytes. */
export const DEFAULT_TILES_BATCH_SIZE = 1024;

interface AuditOptions extends Omit<ClientOptions, 'grpc'> {
  grpc?: string;
  tiles?: string;
  policy?: string;
  state?: string;
  collectorVkey?: string[];
  collectorVkeys?: string[];
  resume?: boolean;
  strictLeaves?: boolean;
  follow?: boolean;
  interval?: number;
  workers?: number;
  batchSize?: number;
  maxFailures?: number;
}

export function auditCommand(): Command {
  return withClientOptions(new Command('audit'), { orTiles: true })
    .description('monitor a log: re-derive the tree, check every signature and consistency with --state')
    .option(
      '--policy <file>',
      'tlog-policy: the log and witness keys you trust, and the quorum (default: $INGRESS_LEDGER_POLICY, or derived from the endpoints file)',
    )
    .option('--state <file>', 'where the last trusted checkpoint is kept (created on the first run)')
    .option('--collector-vkey <vkey>', 'a trusted collector vkey (repeatable)', collect)
    .option('--collector-vkeys <file>', 'a file of trusted collector vkeys (repeatable)', collect)
    .option('--strict-leaves', "also check each leaf's canonical JSON and schema, not only its signature")
    .option('--resume', 'check only the entries after the trusted checkpoint in --state')
    .option('--follow', 'keep auditing new checkpoints as they are published')
    .option('--interval <duration>', 'with --follow, how often to look for a new checkpoint', parseInterval)
    .option('--workers <n>', `signature-checking threads (default ${DEFAULT_WORKERS})`, positiveInt(256))
    .option('--batch-size <n>', `entries per request (default ${DEFAULT_BATCH_SIZE})`, positiveInt(100_000))
    .option(
      '--max-failures <n>',
      `failures reported per pass (default ${DEFAULT_MAX_FAILURES})`,
      positiveInt(1_000_000),
    )
    .action((o: AuditOptions) => audit(o));
}

async function audit(o: AuditOptions): Promise<void> {
  const endpoints = endpointsFor(o);
  const trustedPolicy = resolvePolicy(o.policy, endpoints);
  if (trustedPolicy === undefined) {
    throw new CliError(
      'USAGE',
      '--policy: audit needs a policy (--policy, $INGRESS_LEDGER_POLICY, or --endpoints)',
    );
  }
  const { policy } = trustedPolicy;
  const { keys, source } = resolveCollectorKeys(
    o.collectorVkey ?? [],
    o.collectorVkeys ?? [],
    endpoints,
    trustedPolicy.file,
  );
  if (source !== undefined) io.err(`collector keys: ${source}\n`);
  if (keys.length === 0) {
    io.err(
      'warning: no collector key (--collector-vkey, --collector-vkeys, or collector.vkeys beside the policy): leaves are checked for form, not for their signatures\n',
    );
  }
  const from = sourceOf(o);
  let trusted: AuditState | undefined = o.state === undefined ? undefined : readState(o.state);
  // openLedger resolves the address from the environment or the endpoints file when not given.
  const api = from === 'grpc' ? openLedger(o as ClientOptions) : undefined;
  const grpc = o.grpc ?? '';
  const fetcher = from === 'tiles' ? openTilesFor(o) : undefined;
  // Whole tiles per batch: each bundle is fetched once and its tile root checked.
  const batchSize =
    fetcher === undefined ? o.batchSize : tileAlignedBatch(o.batchSize ?? DEFAULT_TILES_BATCH_SIZE);
  const pool = new SignaturePool(
    keys.map((k) => k.vkey),
    o.workers,
    o.strictLeaves === true,
  );
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let resume = o.resume === true;
    for (;;) {
      const progress = new Progress('audit');
      const started = Date.now();
      const tiles = fetcher === undefined ? undefined : new TilesLogSource(fetcher);
      const source = tiles ?? grpcLogSource(api as LedgerApi, grpc);
      const r = await auditOnce(source, pool, {
        policy,
        ...(trusted !== undefined ? { trusted } : {}),
        resume,
        ...(batchSize !== undefined ? { batchSize } : {}),
        ...(o.maxFailures !== undefined ? { maxFailures: o.maxFailures } : {}),
        onProgress: (d, t) => progress.update(d, t),
      });
      progress.done();
      // The tiles above level 0, once the entries rebuilt the tree they must summarize.
      if (tiles !== undefined && r.failures.length === 0 && r.range !== undefined) {
        await tiles.checkHashTiles((e) => r.failures.push(e));
      }
      const seconds = (Date.now() - started) / 1000;
      // A monitor outlives a ledger that fails to serve entries for a while (a restart, a store
      // being restored): it says so and tries again; anything the entries contradict still ends it.
      const unserved = r.failures.length > 0 && r.failures.every((f) => f.code === 'UNSERVED');
      if (o.follow === true && unserved && !stop) {
        printFailures(r, o.json === true);
        io.err('audit: will try again at the next interval\n');
        await pause(o.interval ?? DEFAULT_FOLLOW_INTERVAL_MS, () => stop);
        if (stop) return;
        continue;
      }
      if (r.failures.length > 0) {
        throw new CliError('VERIFY_FAILED', printFailures(r, o.json === true), true);
      }
      const cp = r.checkpoint;
      if (cp === undefined || r.range === undefined) return;
      const changed = trusted === undefined || trusted.size !== cp.checkpoint.size || !o.follow;
      const next = stateAfter(cp, r.range);
      if (o.state !== undefined) writeState(o.state, next);
      if (changed) printSuccess(r, trusted, seconds, keys.length > 0, o.json === true);
      trusted = { ...next, updatedAt: new Date().toISOString() };
      resume = true;
      if (o.follow !== true) return;
      await pause(o.interval ?? DEFAULT_FOLLOW_INTERVAL_MS, () => stop);
      if (stop) return;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.close();
    api?.close();
    fetcher?.close();
  }
}

/** Waits `ms`, or less once `stopped()` says so. */
async function pause(ms: number, stopped: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!stopped() && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
}

function printSuccess(
  r: AuditReport,
  trusted: AuditState | undefined,
  seconds: number,
  signed: boolean,
  json: boolean,
) {
  const cp = r.checkpoint;
  if (cp === undefined) return;
  const rate = seconds > 0 ? Math.round(Number(r.checked) / seconds) : 0;
  if (json) {
    printJson({
      ok: true,
      origin: cp.checkpoint.origin,
      size: cp.checkpoint.size,
      rootHash: b64(cp.checkpoint.rootHash),
      cosigners: cp.cosigners,
      from: r.from,
      checked: r.checked,
      collectorSignatures: signed ? 'verified' : 'not-checked',
      trustedSize: trusted?.size ?? null,
      seconds,
      entriesPerSecond: rate,
    });
    return;
  }
  println(`${green('✓')} ${cp.checkpoint.origin} audits clean at tree size ${cp.checkpoint.size}`);
  println(
    fields([
      ['root hash', b64(cp.checkpoint.rootHash)],
      [
        'checkpoint',
        `log signature ok, witnesses ${cp.cosigners.join(', ') || 'none required'} (quorum met)`,
      ],
      ['entries', `${r.checked.toLocaleString()} re-hashed from index ${r.from} into the signed root`],
      [
        'collectors',
        signed ? `${r.checked.toLocaleString()} signatures verified` : yellow('signatures not checked'),
      ],
      [
        'consistency',
        trusted === undefined
          ? 'no trusted checkpoint yet (first use)'
          : `extends trusted size ${trusted.size}`,
      ],
      ['time', `${seconds.toFixed(1)} s, ${rate.toLocaleString()} entries/s`],
    ]),
  );
}

function printFailures(r: AuditReport, json: boolean): string {
  const first = r.failures[0];
  if (json) {
    printJson({
      ok: false,
      origin: r.checkpoint?.checkpoint.origin ?? null,
      size: r.checkpoint?.checkpoint.size ?? null,
      failures: r.failures.map((f) => f.toJSON()),
      truncated: r.truncated,
    });
  } else {
    println(`${red('✗')} audit failed: ${r.failures.length}${r.truncated ? '+' : ''} problem(s)`);
    for (const f of r.failures) println(`  ${red(f.code)}  ${f.message}`);
  }
  const more = r.failures.length > 1 ? ` (and ${r.failures.length - 1} more)` : '';
  const line = `audit failed: ${first?.code}: ${first?.message}${more}`;
  io.err(`${line}\n`);
  return line;
}

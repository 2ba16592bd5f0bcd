// `ingress-ledger audit`: a monitor. Re-derives the tree from every entry, checks every collector
// signature on every core, the checkpoint's signatures and quorum, and consistency with the last
// checkpoint it trusted (--state). Once, or following the log (--follow).
import { Command } from 'commander';
import { type AuditReport, auditOnce, DEFAULT_BATCH_SIZE, DEFAULT_MAX_FAILURES } from '../audit/auditor.js';
import { grpcLogSource } from '../audit/grpc-source.js';
import { DEFAULT_WORKERS, SignaturePool } from '../audit/signature-pool.js';
import { type AuditState, readState, stateAfter, writeState } from '../audit/state.js';
import { type ClientOptions, openLedger, withClientOptions } from '../client-options.js';
import { CliError } from '../errors.js';
import { collect, parseInterval, positiveInt } from '../flags.js';
import { collectorKeysFor, readPolicy } from '../inputs.js';
import { b64, fields, green, io, printJson, println, red, yellow } from '../output.js';
import { Progress } from '../progress.js';

/** How often --follow asks for a new checkpoint. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 10_000;

interface AuditOptions extends ClientOptions {
  policy: string;
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
  return withClientOptions(new Command('audit'))
    .description('monitor a log: re-derive the tree, check every signature and consistency with --state')
    .requiredOption('--policy <file>', 'tlog-policy: the log and witness keys you trust, and the quorum')
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
  const { policy } = readPolicy(o.policy);
  const { keys, source } = collectorKeysFor(o.policy, o.collectorVkey ?? [], o.collectorVkeys ?? []);
  if (source !== undefined) io.err(`collector keys: ${source}\n`);
  if (keys.length === 0) {
    io.err(
      'warning: no collector key (--collector-vkey, --collector-vkeys, or collector.vkeys beside the policy): leaves are checked for form, not for their signatures\n',
    );
  }
  let trusted: AuditState | undefined = o.state === undefined ? undefined : readState(o.state);
  const api = openLedger(o);
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
      const r = await auditOnce(grpcLogSource(api, o.grpc), pool, {
        policy,
        ...(trusted !== undefined ? { trusted } : {}),
        resume,
        ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
        ...(o.maxFailures !== undefined ? { maxFailures: o.maxFailures } : {}),
        onProgress: (d, t) => progress.update(d, t),
      });
      progress.done();
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
    api.close();
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

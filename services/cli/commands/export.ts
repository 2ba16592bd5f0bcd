// `ingress-ledger export --from <tiles URL|DIR|s3://> --to DIR|s3://BUCKET/PREFIX [--once]`
// (DESIGN 10): mirrors a log's tlog-tiles layout into WORM storage, verifying every checkpoint,
// tile, leaf and body before it writes (packages/export). With --once it exports up to the
// current checkpoint and exits; without, it follows the log, retrying with backoff on failures.
import { Command, Option } from 'commander';
import {
  type CheckpointCheck,
  checkpointCheck,
  ExportError,
  type ExportEvents,
  ExportMetrics,
  exportStep,
  follow,
  type LayoutReader,
  type LayoutWriter,
  openLayout,
  parseLocation,
  parseObjectLockMode,
  parseRetention,
  type StepResult,
} from '../../../packages/export/index.js';
import { createRegistry, serveMetrics } from '../../../packages/runtime/index.js';
import { parseVkey } from '../../../packages/tlog/index.js';
import { CliError } from '../errors.js';
import { parseHostPort, parseInterval, positiveInt } from '../flags.js';
import { readPolicy } from '../inputs.js';
import { io, println } from '../output.js';
import { Progress } from '../progress.js';

interface ExportOptions {
  from: string;
  to: string;
  policy?: string;
  logVkey?: string;
  once?: boolean;
  objectLock?: string;
  retain?: string;
  interval: number;
  concurrency: number;
  metricsListen?: string;
}

export function exportCommand(): Command {
  return new Command('export')
    .description(
      "mirror a log's tiles, entries, bodies and checkpoints to a directory or S3, verified and write-once",
    )
    .requiredOption('--from <url|dir|s3-url>', 'the log: its tiles URL, or an export to copy')
    .requiredOption('--to <dir|s3-url>', 'where to export: a directory or s3://BUCKET/PREFIX')
    .option(
      '--policy <file>',
      'tlog-policy file: checkpoints must carry its log signature and witness quorum',
    )
    .option('--log-vkey <vkey>', "the log's vkey, when checkpoints are checked without a witness policy")
    .option('--once', 'export up to the current checkpoint and exit')
    .addOption(
      new Option('--object-lock <mode>', 'S3 Object Lock retention on every immutable object').choices([
        'compliance',
        'governance',
      ]),
    )
    .option('--retain <period>', 'Object Lock retention period, e.g. 30d or 7y (with --object-lock)')
    .option('--interval <duration>', 'pause between checkpoint polls when following', parseInterval, 2000)
    .option('--concurrency <n>', 'objects read and written at once', positiveInt(64), 8)
    .option('--metrics-listen <host:port>', 'serve Prometheus /metrics while following', parseHostPort)
    .action((o: ExportOptions) => runExport(o));
}

function check(o: ExportOptions): CheckpointCheck {
  if ((o.policy === undefined) === (o.logVkey === undefined))
    throw new CliError('USAGE', 'give exactly one of --policy and --log-vkey');
  if (o.policy !== undefined) return checkpointCheck({ policy: readPolicy(o.policy).policy });
  try {
    return checkpointCheck({ vkey: parseVkey(o.logVkey ?? '') });
  } catch (err) {
    throw new CliError('CONFIG', `--log-vkey: ${(err as Error).message}`);
  }
}

function open(o: ExportOptions): { source: LayoutReader; target: LayoutWriter } {
  if ((o.objectLock === undefined) !== (o.retain === undefined))
    throw new CliError('USAGE', '--object-lock and --retain go together');
  try {
    const objectLock =
      o.objectLock === undefined
        ? undefined
        : {
            mode: parseObjectLockMode(o.objectLock, '--object-lock'),
            retainUntil: parseRetention(o.retain ?? '', '--retain').retainUntil,
          };
    const to = parseLocation(o.to, '--to');
    if (to.kind === 'http')
      throw new CliError('USAGE', `--to ${o.to}: want a directory or s3://BUCKET/PREFIX`);
    const source = openLayout(parseLocation(o.from, '--from'), 'read');
    const target = openLayout(to, 'write', objectLock === undefined ? {} : { objectLock });
    return { source, target };
  } catch (err) {
    throw cliError(err);
  }
}

/** ExportError to exit statuses: evidence of tampering is 1, everything else 2. */
export function cliError(err: unknown): unknown {
  if (!(err instanceof ExportError)) return err;
  if (err.code === 'VERIFY_FAILED' || err.code === 'CONFLICT')
    return new CliError('VERIFY_FAILED', `${err.code}: ${err.message}`);
  if (err.code === 'USAGE') return new CliError('USAGE', err.message);
  return new CliError('UNAVAILABLE', `${err.code}: ${err.message}`);
}

async function runExport(o: ExportOptions): Promise<void> {
  const checkCp = check(o);
  const { source, target } = open(o);
  const registry = createRegistry('export');
  const metrics = new ExportMetrics(registry);
  const progress = new Progress('export');
  const events: ExportEvents = {
    object: (kind, outcome) => metrics.object(kind, outcome),
    progress: (done, total) => progress.update(done, total),
  };
  const step = async (): Promise<StepResult> => {
    const r = await exportStep({ source, target, check: checkCp, concurrency: o.concurrency, events });
    progress.done();
    metrics.step(r);
    report(r, target.describe);
    return r;
  };
  try {
    if (o.once === true) {
      try {
        await step();
      } catch (err) {
        progress.done();
        metrics.error(err);
        throw cliError(err);
      }
      return;
    }
    await followUntilSignal(step, o, metrics, registry);
  } finally {
    target.close?.();
  }
}

async function followUntilSignal(
  step: () => Promise<StepResult>,
  o: ExportOptions,
  metrics: ExportMetrics,
  registry: ReturnType<typeof createRegistry>,
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let server: import('node:http').Server | undefined;
  if (o.metricsListen !== undefined) {
    const at = o.metricsListen.lastIndexOf(':');
    server = await serveMetrics(
      registry,
      o.metricsListen.slice(0, at),
      Number(o.metricsListen.slice(at + 1)),
    );
  }
  try {
    await follow(step, {
      intervalMs: o.interval,
      signal: stop.signal,
      onError: (err, retryInMs) => {
        metrics.error(err);
        const e = err instanceof ExportError ? `${err.code}: ${err.message}` : String((err as Error).message);
        // A conflict or a failed verification is evidence of tampering: said as loudly as we can.
        const loud = err instanceof ExportError && (err.code === 'CONFLICT' || err.code === 'VERIFY_FAILED');
        io.err(
          `${loud ? 'EXPORT REFUSED (possible tampering)' : 'export failed'}: ${e}; retrying in ${retryInMs} ms\n`,
        );
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    server?.close();
  }
}

function report(r: StepResult, to: string): void {
  if (r.to > r.from) println(`export: ${to}: tree size ${r.from} -> ${r.to}`);
  else if (r.sourceSize < r.to)
    io.err(`export: ${to} holds tree size ${r.to}, ahead of the log's ${r.sourceSize}; nothing to do\n`);
}

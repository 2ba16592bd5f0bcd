// `ingress-ledger report` (issue 14): every change of a period, verified, as report.html (print it
// or save it as PDF) and report.json, with an evidence folder to check it again offline.
//
// Selection: the ledger's search (since/until/cluster) proposes the entries; each is then checked
// here (collector signature, inclusion in the one cosigned checkpoint of the report) and filtered
// again by its own verified stageTimestamp and cluster, so a server that returns out-of-period
// entries cannot put them in the report. Completeness of the period rests on the search index;
// `ingress-ledger audit` is the check that the log holds nothing else.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { type Change, statedReason } from '../../../packages/change/index.js';
import type { Finding } from '../../../packages/proto/index.js';
import { formatTlogProof, type Policy, type PublicKey } from '../../../packages/tlog/index.js';
import { endpointsFor, resolveCollectorKeys, resolvePolicy } from '../client-config.js';
import { type ClientOptions, openLedger, withClientOptions } from '../client-options.js';
import { CliError } from '../errors.js';
import { type Evidence, writeBundle } from '../evidence-bundle.js';
import { collect, parseTimeOrAgo, type TimePoint } from '../flags.js';
import { callFailed, type LedgerApi } from '../ledger-client.js';
import { b64, green, printJson, println } from '../output.js';
import { buildReport, rfc3339Micros, type VerifiedChange } from '../report/period-report.js';
import { reportHtml } from '../report/report-html.js';
import { checkCheckpoint } from '../verification/checkpoint-check.js';
import { VerificationError } from '../verification/errors.js';
import { verifyEvidence } from '../verification/evidence.js';
import { searchAll } from './search.js';

/** Most entries one report holds; a longer period is split into several reports. */
export const MAX_REPORT_ENTRIES = 100_000;

interface ReportOptions extends ClientOptions {
  since: TimePoint;
  until: TimePoint;
  cluster?: string;
  out: string;
  policy?: string;
  collectorVkey?: string[];
  collectorVkeys?: string[];
}

export function reportCommand(): Command {
  return withClientOptions(new Command('report'))
    .description('write a verified report of every change in a period: report.html, report.json, evidence/')
    .requiredOption(
      '--since <time>',
      'start of the period: an RFC 3339 time or a duration ago (7d)',
      parseTimeOrAgo(),
    )
    .requiredOption(
      '--until <time>',
      'end of the period (inclusive): an RFC 3339 time or a duration ago',
      parseTimeOrAgo(),
    )
    .option('--cluster <cluster>', 'only this cluster')
    .requiredOption('--out <dir>', 'folder to write into (created when missing)')
    .option(
      '--policy <file>',
      'tlog-policy the checkpoint must satisfy (default: $INGRESS_LEDGER_POLICY, or derived from the endpoints file)',
    )
    .option('--collector-vkey <vkey>', 'a trusted collector vkey (repeatable)', collect)
    .option(
      '--collector-vkeys <file>',
      'a file of trusted collector vkeys (default: collector.vkeys beside the policy)',
      collect,
    )
    .action((o: ReportOptions) => report(o));
}

const microsOf = (t: TimePoint): bigint => {
  const ms = BigInt(t.date.getTime());
  if (t.nanos === undefined) return ms * 1000n;
  return (ms / 1000n) * 1_000_000n + BigInt(Math.floor(t.nanos / 1000));
};

async function call<T>(o: ClientOptions, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof VerificationError || err instanceof CliError) throw err;
    throw callFailed(o.grpc, err);
  }
}

async function report(o: ReportOptions): Promise<void> {
  const since = microsOf(o.since);
  const until = microsOf(o.until);
  if (since > until) throw new CliError('USAGE', '--since is after --until');
  const endpoints = endpointsFor(o);
  const trusted = resolvePolicy(o.policy, endpoints);
  if (trusted === undefined)
    throw new CliError(
      'USAGE',
      '--policy: report verifies everything it shows: give --policy (or $INGRESS_LEDGER_POLICY, or --endpoints)',
    );
  const { policy, text: policyText } = trusted;
  const { keys } = resolveCollectorKeys(
    o.collectorVkey ?? [],
    o.collectorVkeys ?? [],
    endpoints,
    trusted.file,
  );
  if (keys.length === 0)
    throw new CliError(
      'USAGE',
      'report checks every collector signature: give --collector-vkey or --collector-vkeys',
    );
  const api = openLedger(o);
  try {
    // Search first, then the checkpoint: the published size only grows, so every result is in it.
    const found: { index: bigint; findings: Finding[] }[] = [];
    await call(o, async () => {
      for await (const r of searchAll(api, {
        since: o.since,
        until: o.until,
        ...(o.cluster !== undefined ? { cluster: o.cluster } : {}),
        limit: MAX_REPORT_ENTRIES + 1,
      })) {
        if (r.entry !== undefined) found.push({ index: r.entry.index, findings: r.findings });
      }
    });
    if (found.length > MAX_REPORT_ENTRIES)
      throw new CliError('USAGE', `more than ${MAX_REPORT_ENTRIES} changes in the period: split it`);
    const note = await call(o, () => api.getCheckpoint()).then((c) => c.note);
    const cp = checkCheckpoint(note, policy);
    const verified: VerifiedChange[] = [];
    const evidence: Evidence[] = [];
    for (const f of [...new Map(found.map((x) => [x.index, x])).values()]) {
      const v = await verifyOne(api, o, f.index, note, cp.checkpoint.size, policy, keys);
      const t = rfc3339Micros(v.change.stageTimestamp);
      if (t === undefined || t < since || t > until) continue;
      if (o.cluster !== undefined && v.change.cluster !== o.cluster) continue;
      const deleted =
        v.change.action === 'delete' && statedReason(v.change, v.change.response) === null
          ? await deletedObject(api, o, v.change, f.index, note, cp.checkpoint.size, policy, keys)
          : undefined;
      verified.push({
        index: f.index,
        change: v.change,
        findings: f.findings,
        signer: v.signer,
        ...(deleted !== undefined ? { deleted } : {}),
      });
      evidence.push(v.evidence);
    }
    const period = { since: o.since.date.toISOString(), until: o.until.date.toISOString() };
    const data = buildReport({
      ...period,
      cluster: o.cluster,
      generatedAt: new Date().toISOString(),
      checkpoint: {
        origin: cp.checkpoint.origin,
        size: cp.checkpoint.size,
        rootHash: b64(cp.checkpoint.rootHash),
        note,
        cosigners: cp.cosigners,
      },
      changes: verified,
      verify: verifyCommands(o, period),
    });
    writeOut(o.out, 'report.json', `${JSON.stringify(data, null, 2)}\n`);
    writeOut(o.out, 'report.html', reportHtml(data));
    writeBundle(join(o.out, 'evidence'), evidence, cp.checkpoint, { policyText }, keys, true);
    if (o.json === true) {
      printJson({ out: o.out, changes: data.counts.changes, treeSize: cp.checkpoint.size, verified: true });
    } else {
      println(
        `${green('✓')} ${data.counts.changes} changes verified against tree size ${cp.checkpoint.size}: ${join(o.out, 'report.html')}, ${join(o.out, 'report.json')}, ${join(o.out, 'evidence')}/`,
      );
    }
  } finally {
    api.close();
  }
}

async function verifyOne(
  api: LedgerApi,
  o: ClientOptions,
  index: bigint,
  note: string,
  size: bigint,
  policy: Policy,
  keys: readonly PublicKey[],
) {
  const entry = (await call(o, () => api.getEntries(index, index + 1n)))[0];
  if (entry === undefined || entry.index !== index)
    throw new VerificationError('ENTRY', `the ledger did not return entry ${index}`, index);
  const proof = await call(o, () => api.getInclusionProof(index, size));
  const v = verifyEvidence({ index, hashes: proof.hashes, checkpoint: note }, entry.leaf, policy, keys);
  return {
    change: v.change,
    signer: v.signer ?? '',
    evidence: {
      index,
      leaf: entry.leaf,
      proof: formatTlogProof({ index, hashes: proof.hashes, checkpoint: note }),
      bodies: entry.bodies.map((b) => ({ sha256: b.sha256, data: b.data })),
    },
  };
}

/**
 * The object a delete removed: the stored object of the last successful earlier entry of the same
 * object, whose leaf is verified like the report's own (the server only points at it).
 */
async function deletedObject(
  api: LedgerApi,
  o: ClientOptions,
  c: Change,
  index: bigint,
  note: string,
  size: bigint,
  policy: Policy,
  keys: readonly PublicKey[],
): Promise<unknown> {
  const history = await call(o, () =>
    api.getObjectHistory({
      cluster: c.cluster,
      namespace: c.object.namespace,
      name: c.object.name,
      resource: c.object.resource,
    }),
  );
  const earlier = history.versions
    .map((v) => v.entry?.index)
    .filter((i): i is bigint => i !== undefined && i < index)
    .sort((a, b) => (a < b ? 1 : -1));
  for (const i of earlier.slice(0, MAX_DELETE_LOOKBACK)) {
    const prev = (await verifyOne(api, o, i, note, size, policy, keys)).change;
    const same = prev.cluster === c.cluster && prev.object.namespace === c.object.namespace;
    if (!same || prev.object.name !== c.object.name || prev.object.resource !== c.object.resource) continue;
    const ok = prev.responseCode >= 200 && prev.responseCode < 300;
    if (ok && prev.action !== 'delete' && isObjectBody(prev.response)) return prev.response;
    if (ok && prev.action === 'delete') return undefined;
  }
  return undefined;
}

/** Earlier versions looked at to find what a delete removed. */
const MAX_DELETE_LOOKBACK = 5;

const isObjectBody = (b: unknown): boolean =>
  typeof b === 'object' &&
  b !== null &&
  !Array.isArray(b) &&
  (b as { kind?: unknown }).kind !== 'Status' &&
  typeof (b as { metadata?: unknown }).metadata === 'object';

function writeOut(dir: string, name: string, text: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), text);
  } catch (err) {
    throw new CliError('CONFIG', `--out ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'cannot write'}`);
  }
}

const quote = (s: string) => (/^[A-Za-z0-9_./:@+-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/** The shell commands that check the evidence folder again, without the ledger. */
function verifyCommands(o: ReportOptions, period: { since: string; until: string }): string[] {
  return [
    'cd evidence',
    'for leaf in entry-*.leaf; do',
    '  ingress-ledger verify --policy policy --collector-vkeys collector.vkeys \\',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    '    --proof "${leaf%.leaf}.tlog-proof" --leaf "$leaf" >/dev/null || echo "FAILED: $leaf"',
    'done',
    '# and, with the ledger, the report again for the same period:',
    `ingress-ledger report --grpc ${quote(o.grpc)} --policy POLICY --collector-vkeys VKEYS --since ${period.since} --until ${period.until}${o.cluster !== undefined ? ` --cluster ${quote(o.cluster)}` : ''} --out DIR`,
  ];
}

// `ingress-ledger history` (DESIGN 5.1): every recorded version of one object, oldest first, each
// shown as a unified YAML diff against the previous stored version, and verified when a policy
// is known.
import { Command, InvalidArgumentError } from 'commander';
import type { Change } from '../../../packages/change/index.js';
import type { Entry, GetObjectHistoryResponse } from '../../../packages/proto/index.js';
import {
  changeOfLeaf,
  entryVerifier,
  openLedger,
  type VerifyingOptions,
  withClientOptions,
  withVerifyOptions,
} from '../client-options.js';
import { CliError } from '../errors.js';
import { bold, dim, localTime, printJson, println, useColour } from '../output.js';
import { type OutputFormat, outputFormat, printYamlDocument, withOutputFormat } from '../output-format.js';
import { VerdictTally, verdictLabel } from '../read-view.js';
import { actorLabel, attributionLabel } from '../render-change.js';
import { storedObject, yamlDiff } from '../render-yaml.js';
import { type EntryVerdict, verdictJson } from '../verification/entry-verifier.js';
import { call, findingJson, severityLabel } from './search.js';

type ObjectVersion = GetObjectHistoryResponse['versions'][number];

interface HistoryOptions extends VerifyingOptions {
  cluster?: string;
  resource?: string;
  uid?: string;
  output?: OutputFormat;
}

/** `NAMESPACE/NAME`, or `NAME` of a cluster-scoped object. */
function parseObject(text: string): { namespace: string; name: string } {
  const parts = text.split('/');
  if (parts.length > 2 || parts.some((p) => p === '' || p.length > 253)) {
    throw new InvalidArgumentError('expected NAMESPACE/NAME or NAME');
  }
  return parts.length === 2
    ? { namespace: parts[0] ?? '', name: parts[1] ?? '' }
    : { namespace: '', name: parts[0] ?? '' };
}

export function historyCommand(): Command {
  return withOutputFormat(withVerifyOptions(withClientOptions(new Command('history'))))
    .description('show every recorded version of one object, with what changed each time as a YAML diff')
    .argument('[object]', 'NAMESPACE/NAME (or NAME for cluster-scoped objects)', parseObject)
    .option('--cluster <cluster>', 'the cluster of the object')
    .option('--resource <resource>', 'the resource, like ingresses (default: any)')
    .option('--uid <uid>', "the object's uid instead of its name")
    .action((obj: { namespace: string; name: string } | undefined, o: HistoryOptions) => history(obj, o));
}

async function history(
  obj: { namespace: string; name: string } | undefined,
  o: HistoryOptions,
): Promise<void> {
  if (obj === undefined && o.uid === undefined) {
    throw new CliError('USAGE', 'history: give NAMESPACE/NAME or --uid');
  }
  const format = outputFormat(o);
  const api = openLedger(o);
  let versions: ObjectVersion[];
  let verdicts: (EntryVerdict | undefined)[];
  try {
    const verifier = entryVerifier(o, api);
    if (verifier !== undefined) await call(o.grpc, () => verifier.refresh());
    versions = (
      await call(o.grpc, () =>
        api.getObjectHistory({
          cluster: o.cluster ?? '',
          namespace: obj?.namespace ?? '',
          name: obj?.name ?? '',
          uid: o.uid ?? '',
          resource: o.resource ?? '',
        }),
      )
    ).versions.filter((v) => v.entry !== undefined);
    verdicts =
      verifier === undefined
        ? versions.map(() => undefined)
        : await call(o.grpc, () => verifier.verify(versions.map((v) => v.entry as Entry)));
  } finally {
    api.close();
  }
  const tally = new VerdictTally();
  let previous: unknown;
  versions.forEach((v, i) => {
    const e = v.entry as Entry;
    const verdict = verdicts[i];
    tally.add(e.index, verdict);
    const change = changeOfLeaf(e.leaf);
    if (format === 'json' || format === 'yaml') {
      const line = {
        index: e.index,
        change: change ?? null,
        findings: v.findings.map(findingJson),
        diff: v.diff.map((d) => ({
          op: d.op,
          path: d.path,
          ...(d.op !== 'add' ? { from: parseJson(d.from) } : {}),
          ...(d.op !== 'remove' ? { to: parseJson(d.to) } : {}),
        })),
        ...(verdict !== undefined ? { verification: verdictJson(verdict) } : {}),
      };
      if (format === 'json') printJson(line);
      else printYamlDocument(line);
      return;
    }
    previous = showVersion(e, change, v, verdict, previous);
  });
  if (format !== 'json' && format !== 'yaml' && versions.length === 0) println('no recorded versions');
  tally.finish();
}

/** Prints one version for people; returns the object it left stored, for the next one's diff. */
function showVersion(
  e: Entry,
  change: Change | undefined,
  v: ObjectVersion,
  verdict: EntryVerdict | undefined,
  previous: unknown,
): unknown {
  const mark = verdict === undefined ? '' : `  ${verdictLabel(verdict)}`;
  if (change === undefined) {
    println(bold(`#${e.index}  (malformed leaf)`) + mark);
    println();
    return previous;
  }
  println(
    bold(
      `#${e.index}  ${localTime(change.stageTimestamp)}  ${change.action} by ${actorLabel(change)}  HTTP ${change.responseCode}`,
    ) + mark,
  );
  if (verdict?.status === 'failed' && verdict.reason !== undefined)
    println(`  ${dim('verification:')} ${verdict.reason}`);
  println(`  ${dim('reason:')} ${change.reason?.trim() ? change.reason : dim('(none given)')}`);
  const source = attributionLabel(change);
  if (source !== undefined) println(`  ${dim('source:')} ${source}`);
  for (const f of v.findings) println(`  ${severityLabel(f)}: ${f.message}`);
  const refused = change.responseCode >= 300;
  const stored = refused ? previous : storedObject(change, bodiesOf(e));
  if (refused) println(`  ${dim('refused: nothing stored')}`);
  else {
    const label = objectPath(change);
    const text = yamlDiff(
      previous,
      stored,
      { from: `${label} (before #${e.index})`, to: `${label} (#${e.index})` },
      useColour(),
    );
    if (text !== '') println(text.trimEnd());
    else if (stored !== undefined) println(`  ${dim('no change to the stored object')}`);
  }
  println();
  return stored;
}

const objectPath = (c: Change): string =>
  `${c.object.resource}/${c.object.namespace === '' ? '' : `${c.object.namespace}/`}${c.object.name}`;

/** Bodies kept outside the leaf, parsed (only those whose digest checks out are of any use). */
function bodiesOf(e: Entry): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const b of e.bodies) {
    try {
      out.set(b.sha256, JSON.parse(Buffer.from(b.data).toString('utf8')));
    } catch {
      // A body that does not parse is shown as absent; verification reports a bad digest.
    }
  }
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

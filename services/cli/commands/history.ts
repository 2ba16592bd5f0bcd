// `ingress-ledger history` (DESIGN 5.1): every recorded version of one object, oldest first, with diffs.
import { Command, InvalidArgumentError } from 'commander';
import { type ClientOptions, changeOfLeaf, openLedger, withClientOptions } from '../client-options.js';
import { CliError } from '../errors.js';
import { callFailed } from '../ledger-client.js';
import { bold, dim, green, localTime, printJson, println, red, yellow } from '../output.js';
import { actorLabel, attributionLabel } from '../render-change.js';
import { findingJson, severityLabel } from './search.js';

interface HistoryOptions extends ClientOptions {
  cluster?: string;
  resource?: string;
  uid?: string;
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
  return withClientOptions(new Command('history'))
    .description('show every recorded version of one object, with what changed each time')
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
  const api = openLedger(o);
  let versions: Awaited<ReturnType<typeof api.getObjectHistory>>['versions'];
  try {
    versions = (
      await api.getObjectHistory({
        cluster: o.cluster ?? '',
        namespace: obj?.namespace ?? '',
        name: obj?.name ?? '',
        uid: o.uid ?? '',
        resource: o.resource ?? '',
      })
    ).versions;
  } catch (err) {
    throw callFailed(o.grpc, err);
  } finally {
    api.close();
  }
  for (const v of versions) {
    const e = v.entry;
    if (e === undefined) continue;
    const change = changeOfLeaf(e.leaf);
    const diff = v.diff.map((d) => ({
      op: d.op,
      path: d.path,
      ...(d.op !== 'add' ? { from: parseJson(d.from) } : {}),
      ...(d.op !== 'remove' ? { to: parseJson(d.to) } : {}),
    }));
    if (o.json === true) {
      printJson({ index: e.index, change: change ?? null, findings: v.findings.map(findingJson), diff });
      continue;
    }
    println(
      change === undefined
        ? bold(`#${e.index}  (malformed leaf)`)
        : bold(
            `#${e.index}  ${localTime(change.stageTimestamp)}  ${change.action} by ${actorLabel(change)}  HTTP ${change.responseCode}`,
          ),
    );
    if (change !== undefined) {
      println(`  ${dim('reason:')} ${change.reason?.trim() ? change.reason : dim('(none given)')}`);
      const source = attributionLabel(change);
      if (source !== undefined) println(`  ${dim('source:')} ${source}`);
    }
    for (const f of v.findings) println(`  ${severityLabel(f)}: ${f.message}`);
    for (const d of v.diff) {
      if (d.op === 'add') println(`  ${green('+')} ${d.path} ${green(d.to)}`);
      else if (d.op === 'remove') println(`  ${red('-')} ${d.path} ${red(d.from)}`);
      else println(`  ${yellow('~')} ${d.path} ${red(d.from)} → ${green(d.to)}`);
    }
    println();
  }
  if (o.json !== true && versions.length === 0) println('no recorded versions');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

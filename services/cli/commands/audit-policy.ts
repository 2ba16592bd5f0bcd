// `ingress-ledger audit-policy`: our kube-apiserver audit rules, and merging them into the cluster's
// existing policy (which must never be replaced by ours: it records what others rely on).
import { closeSync, openSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_RESOURCES, ResourceFilter } from '../../../packages/change/index.js';
import { MAX_POLICY_BYTES, mergePolicy } from '../audit-policy/merge.js';
import { renderSnippet } from '../audit-policy/rules.js';
import { CliError } from '../errors.js';
import { io, warn } from '../output.js';

interface MergeOptions {
  policy: string;
  out?: string;
  resources: string[];
}

/** The collector's --resources: comma-separated <resource>.<group>, checked as the collector does. */
function parseResources(text: string): string[] {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  try {
    new ResourceFilter(names);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  if (names.length === 0) throw new InvalidArgumentError('no resources');
  return names;
}

const RESOURCES_HELP =
  "the collector's --resources, if it has one: comma-separated <resource>.<group> (default: Ingress, " +
  'IngressClass and the Gateway API)';

export function auditPolicyCommand(): Command {
  const cmd = new Command('audit-policy').description(
    'the kube-apiserver audit policy rules ingress-ledger needs',
  );
  cmd
    .command('merge')
    .description(
      'put our rules at the top of an existing audit Policy, keeping the rest; running it again ' +
        'replaces our rules instead of adding them twice',
    )
    .requiredOption(
      '--policy <file>',
      "the cluster's audit Policy (audit.k8s.io/v1), e.g. its --audit-policy-file",
    )
    .option('--out <file>', 'write the merged policy here instead of to stdout (may be the --policy file)')
    .option('--resources <list>', RESOURCES_HELP, parseResources, [...DEFAULT_RESOURCES])
    .action((o: MergeOptions) => merge(o));
  cmd
    .command('rules')
    .description('print our rules alone (deploy/audit-policy-rules.yaml), to paste at the top of a policy')
    .option('--resources <list>', RESOURCES_HELP, parseResources, [...DEFAULT_RESOURCES])
    .action((o: { resources: string[] }) => io.out(renderSnippet(o.resources)));
  return cmd;
}

function merge(o: MergeOptions): void {
  const result = mergePolicy(readCapped(o.policy, MAX_POLICY_BYTES), o.policy, o.resources);
  if (o.out === undefined) io.out(result.text);
  else writeAtomically(o.out, result.text);
  for (const note of result.notes) warn(`note: ${note}`);
  const was = result.replaced > 0 ? ` (replacing the ${result.replaced} found there)` : '';
  const where = o.out === undefined ? '' : `; wrote ${o.out}`;
  warn(`our ${result.inserted} rules are at the top of the policy's rules${was}${where}`);
}

/** The file's text, refusing more than max bytes (it may be a pipe or a device that never ends). */
function readCapped(path: string, max: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new CliError('CONFIG', `--policy ${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot open'}`);
  }
  try {
    const buf = Buffer.alloc(max + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > max) throw new CliError('CONFIG', `--policy ${path}: larger than ${max} bytes`);
    }
    return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, length));
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof TypeError) throw new CliError('CONFIG', `--policy ${path}: not UTF-8 text`);
    throw new CliError('CONFIG', `--policy ${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  } finally {
    closeSync(fd);
  }
}

// A crash half-way must not leave the apiserver a truncated policy. A file that exists keeps its
// mode (policies are often root-only).
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    let mode = 0o644;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {}
    writeFileSync(tmp, text, { mode });
    renameSync(tmp, path);
  } catch (err) {
    throw new CliError('CONFIG', `--out ${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot write'}`);
  }
}

// How a change reads to a person: who did what, when, from where, and why.
import type { Change } from '../../packages/change/index.js';
import { localTime } from './output.js';

/** `networking.k8s.io/ingresses prod/web` (with `/status` for a subresource). */
export function objectLabel(c: Change): string {
  const o = c.object;
  const kind = `${o.group === '' ? '' : `${o.group}/`}${o.resource}${o.subresource ? `/${o.subresource}` : ''}`;
  const name = o.name === '' ? '(all)' : o.name;
  return `${kind} ${o.namespace === '' ? name : `${o.namespace}/${name}`}`;
}

export function actorLabel(c: Change): string {
  const imp = c.impersonatedUser === undefined ? '' : ` as ${c.impersonatedUser.username}`;
  return `${c.user.username}${imp}`;
}

/** `argocd shop @3f2c1e9a7b5d` or `kubectl kubectl-edit v1.31.2`: where an automated change came from. */
export function attributionLabel(c: Change): string | undefined {
  const a = c.attribution;
  if (a === undefined) return undefined;
  const rev =
    a.revision === undefined
      ? ''
      : ` @${/^[0-9a-f]{40}$/.test(a.revision) ? a.revision.slice(0, 12) : a.revision}`;
  return `${a.tool}${a.name === undefined ? '' : ` ${a.name}`}${rev}${a.url === undefined ? '' : ` ${a.url}`}`;
}

/** The short why of a table row: the reason, else the attributed source, else `-`. */
export function whyCell(c: Change, max = 48): string {
  const text = c.reason?.trim() || (attributionLabel(c) === undefined ? '-' : `(${attributionLabel(c)})`);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The who/what/when/where/why lines of one change. */
export function describeChange(c: Change): [string, string][] {
  const groups =
    c.user.groups === undefined || c.user.groups.length === 0 ? '' : ` (${c.user.groups.join(', ')})`;
  return [
    ['who', `${actorLabel(c)}${groups}`],
    ['what', `${c.action} (${c.verb}) ${objectLabel(c)} → HTTP ${c.responseCode}`],
    ['when', `${localTime(c.stageTimestamp)} (requested ${localTime(c.requestReceivedTimestamp)})`],
    [
      'where',
      `cluster ${c.cluster}, from ${c.sourceIPs.join(', ') || '-'}, ${c.userAgent || 'no user agent'}`,
    ],
    ['why', c.reason ?? '(no reason given)'],
    ['source', attributionLabel(c) ?? '(not attributed)'],
    ['audit id', c.auditID],
  ];
}

/** The table cells of one change: index, time, cluster, action, object, actor, HTTP status. */
export function changeCells(index: bigint, c: Change): string[] {
  return [
    index.toString(),
    localTime(c.stageTimestamp),
    c.cluster,
    c.action,
    objectLabel(c),
    actorLabel(c),
    String(c.responseCode),
  ];
}

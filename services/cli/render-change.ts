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

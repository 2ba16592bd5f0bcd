// Builds the alerts of one log entry (packages/runtime/alert-payload.ts) from its change, its
// findings and the checkpoint that covers it. Pure: the relay (alert-relay.ts) reads and publishes.
import type { Change } from '../../packages/change/index.js';
import { type Alert, type AlertSeverity, alertId, SEVERITIES } from '../../packages/runtime/index.js';
import type { PublishedCheckpoint } from './checkpointer.js';

export interface StoredFinding {
  rule: string;
  severity: string;
  message: string;
  path: string;
}

/** The console's page of `change`'s object: `<console>?object=<namespace>/<name>&cluster=<cluster>`. */
export function consoleLink(consoleUrl: string, change: Change): string {
  const u = new URL(consoleUrl);
  u.searchParams.set('object', `${change.object.namespace}/${change.object.name}`);
  u.searchParams.set('cluster', change.cluster);
  return u.toString();
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * One alert per finding, in the findings' order. A change from the log was validated when it was
 * appended, but a leaf is read back without that check here, so every field is read defensively.
 */
export function alertsOfEntry(
  index: bigint,
  change: Change,
  findings: readonly StoredFinding[],
  checkpoint: PublishedCheckpoint,
  consoleUrl?: string,
): Alert[] {
  const seen = new Map<string, number>();
  const o = change.object ?? {};
  const link = consoleUrl === undefined ? undefined : consoleLink(consoleUrl, change);
  return findings.map((f) => {
    const occurrence = seen.get(f.rule) ?? 0;
    seen.set(f.rule, occurrence + 1);
    const severity = (SEVERITIES as readonly string[]).includes(f.severity)
      ? (f.severity as AlertSeverity)
      : 'medium';
    return {
      id: alertId(change.cluster, change.auditID, f.rule, occurrence),
      index,
      rule: f.rule,
      severity,
      message: f.message,
      path: f.path,
      cluster: change.cluster,
      object: {
        group: str(o.group),
        version: str(o.version),
        resource: str(o.resource),
        namespace: str(o.namespace),
        name: str(o.name),
        uid: str(o.uid),
        resourceVersion: str(o.resourceVersion),
        ...(typeof o.subresource === 'string' ? { subresource: o.subresource } : {}),
      },
      verb: str(change.verb),
      action: str(change.action),
      user: str(change.user?.username),
      impersonatedUser:
        typeof change.impersonatedUser?.username === 'string' ? change.impersonatedUser.username : null,
      reason: typeof change.reason === 'string' ? change.reason : null,
      stageTimestamp: str(change.stageTimestamp),
      auditID: str(change.auditID),
      sourceIPs: Array.isArray(change.sourceIPs) ? change.sourceIPs.filter((s) => typeof s === 'string') : [],
      responseCode: Number.isInteger(change.responseCode) ? change.responseCode : 0,
      checkpoint: {
        origin: checkpoint.origin,
        size: checkpoint.size,
        rootHash: Buffer.from(checkpoint.rootHash).toString('base64'),
        note: checkpoint.note,
      },
      ...(link === undefined ? {} : { consoleUrl: link }),
    };
  });
}

// A Falco-compatible event, as Falco's own http_output sends it and falcosidekick takes it on `/`
// (and so forwards it to every output falcosidekick has): `output` (required non-empty), `priority`
// (a Falco priority name), `rule`, `time` (RFC 3339), `output_fields`, `source`, `tags`, `hostname`.
import type { Alert } from '../../../packages/runtime/index.js';
import { httpPost } from './http-post.js';
import type { Output } from './output.js';

/** Our severities as Falco priorities. */
export const FALCO_PRIORITY: Record<string, string> = {
  critical: 'Critical',
  high: 'Error',
  medium: 'Warning',
  low: 'Notice',
};
/** `source` of our events: Falco's own Kubernetes audit plugin calls its events k8saudit. */
export const FALCO_SOURCE = 'k8saudit';

export function falcoEvent(a: Alert, hostname: string): string {
  const where = `${a.object.namespace}/${a.object.name}`;
  return JSON.stringify({
    output: `${a.message} (rule=${a.rule} cluster=${a.cluster} object=${a.object.resource}/${where} user=${a.user} verb=${a.verb} index=${a.index})`,
    priority: FALCO_PRIORITY[a.severity] ?? 'Warning',
    rule: a.rule,
    time: a.stageTimestamp,
    source: FALCO_SOURCE,
    hostname,
    tags: ['ingress-ledger', a.rule, a.severity],
    output_fields: {
      'ingress_ledger.alert_id': a.id,
      'ingress_ledger.index': String(a.index),
      'ingress_ledger.checkpoint_size': String(a.checkpoint.size),
      'ingress_ledger.origin': a.checkpoint.origin,
      'k8s.cluster': a.cluster,
      'ka.auditid': a.auditID,
      'ka.verb': a.verb,
      'ka.user.name': a.user,
      'ka.impuser.name': a.impersonatedUser,
      'ka.target.namespace': a.object.namespace,
      'ka.target.name': a.object.name,
      'ka.target.resource': a.object.resource,
      'ka.sourceips': a.sourceIPs.join(','),
      'ka.response.code': a.responseCode,
      'ingress_ledger.reason': a.reason,
      ...(a.consoleUrl === undefined ? {} : { 'ingress_ledger.console_url': a.consoleUrl }),
    },
  });
}

export function falcoOutput(o: { url: string; hostname: string; timeoutMs: number }): Output {
  return {
    name: 'falco',
    async deliver(a) {
      await httpPost(
        'falco',
        o.url,
        falcoEvent(a, o.hostname),
        { 'content-type': 'application/json' },
        o.timeoutMs,
      );
    },
  };
}

// The alert: one finding of the risk rules on one log entry, as the ledger publishes it on the
// INGRESS_ALERTS stream (subject `ledger.alerts.<cluster>`, DESIGN 4 and 13) and as the notify
// service reads it. One home for the wire form, so the two processes cannot drift apart; its JSON
// schema is docs/alerts.schema.json (test/alerts-schema.test.ts holds the two together).
//
// Contract:
// - One message per finding, Nats-Msg-Id = `alertId(...)`: the same finding published twice (a
//   ledger that stopped before it saved its position) is stored once within the duplicate window,
//   and a consumer that sees the same id twice delivers the same alert.
// - The ledger publishes an alert only once its entry is inside a published (cosigned) checkpoint,
//   and names that checkpoint: a receiver can ask for an inclusion proof at once.
// - `index` is written first, as an exact JSON number (a log index can pass 2^53); the rest is
//   ordinary JSON. Readers ignore fields they do not know.

/** Version of the payload, in `schema`. */
export const ALERT_SCHEMA = 'ingress-ledger.alert/v1';
/** CloudEvents `type` of an alert (docs/alerts.md). */
export const ALERT_EVENT_TYPE = 'dev.ingress-ledger.alert.v1';
/** Largest alert message a reader accepts: an alert is a few KiB at most. */
export const MAX_ALERT_BYTES = 256 * 1024;
/** Header on INGRESS_ALERTS messages: the alert's id (the same as its Nats-Msg-Id). */
export const ALERT_ID_HEADER = 'Alert-Id';

export type AlertSeverity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: readonly AlertSeverity[] = ['critical', 'high', 'medium', 'low'];

export interface AlertObject {
  group: string;
  version: string;
  resource: string;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  subresource?: string;
}

/** The checkpoint that covers the entry: its size is at least index + 1. */
export interface AlertCheckpoint {
  origin: string;
  size: bigint;
  /** Standard base64 of the 32-byte root hash. */
  rootHash: string;
  /** The whole cosigned checkpoint note. */
  note: string;
}

export interface Alert {
  /** `alertId(cluster, auditID, rule, occurrence)`. */
  id: string;
  index: bigint;
  rule: string;
  severity: AlertSeverity;
  message: string;
  /** JSON Pointer into the stored object or request; '' when none. */
  path: string;
  cluster: string;
  object: AlertObject;
  verb: string;
  action: string;
  /** user.username of the change. */
  user: string;
  /** impersonatedUser.username, or null. */
  impersonatedUser: string | null;
  reason: string | null;
  stageTimestamp: string;
  auditID: string;
  sourceIPs: string[];
  responseCode: number;
  checkpoint: AlertCheckpoint;
  /** The console's page of the entry's object, when the ledger knows the console's URL. */
  consoleUrl?: string;
}

/**
 * The id of the `occurrence`-th (from 0) finding of `rule` on the change `<cluster>/<auditID>`:
 * stable whatever path the change took into the log, and whatever other rules fired.
 */
export function alertId(cluster: string, auditID: string, rule: string, occurrence = 0): string {
  const base = `${cluster}/${auditID}/${rule}`;
  return occurrence === 0 ? base : `${base}/${occurrence}`;
}

/** The alert as JSON text (the INGRESS_ALERTS message body, and what outputs send). */
export function encodeAlert(a: Alert): string {
  const { index, checkpoint, ...rest } = a;
  const fields = JSON.stringify({ schema: ALERT_SCHEMA, ...rest }).slice(1, -1);
  const { size, ...cpRest } = checkpoint;
  // Indexes and sizes are written exactly, not through a double; the checkpoint comes last.
  return `{"index":${index},${fields},"checkpoint":{"size":${size},${JSON.stringify(cpRest).slice(1)}}`;
}

const INDEX_RE = /^\{"index":(0|[1-9][0-9]{0,19}),/;
// Only an unescaped quote can open a key, so a string value cannot fake this.
const SIZE_RE = /,"checkpoint":\{"size":(0|[1-9][0-9]{0,19}),"[\s\S]*\}\}$/;

const isString = (v: unknown): v is string => typeof v === 'string';
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads an alert message; undefined when it is not one (wrong shape, oversized, not JSON). Hostile
 * input: sizes are checked before parsing, and every field's type after.
 */
export function decodeAlert(text: string): Alert | undefined {
  if (text.length > MAX_ALERT_BYTES) return undefined;
  const m = INDEX_RE.exec(text);
  if (m === null) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(o)) return undefined;
  const strings = ['id', 'rule', 'severity', 'message', 'path', 'cluster', 'verb', 'action', 'user'];
  const more = ['stageTimestamp', 'auditID'];
  if (![...strings, ...more].every((f) => isString(o[f]))) return undefined;
  if (!SEVERITIES.includes(o.severity as AlertSeverity)) return undefined;
  if (!(o.impersonatedUser === null || isString(o.impersonatedUser))) return undefined;
  if (!(o.reason === null || isString(o.reason))) return undefined;
  if (!Array.isArray(o.sourceIPs) || !o.sourceIPs.every(isString)) return undefined;
  if (typeof o.responseCode !== 'number' || !Number.isInteger(o.responseCode)) return undefined;
  if (o.consoleUrl !== undefined && !isString(o.consoleUrl)) return undefined;
  const obj = o.object;
  if (!isObj(obj)) return undefined;
  const objFields = ['group', 'version', 'resource', 'namespace', 'name', 'uid', 'resourceVersion'];
  if (!objFields.every((f) => isString(obj[f]))) return undefined;
  if (obj.subresource !== undefined && !isString(obj.subresource)) return undefined;
  const cp = o.checkpoint;
  const size = SIZE_RE.exec(text);
  if (!isObj(cp) || size === null || typeof cp.size !== 'number') return undefined;
  if (!isString(cp.origin) || !isString(cp.rootHash) || !isString(cp.note)) return undefined;
  const index = BigInt(m[1] ?? '0');
  const cpSize = BigInt(size[1] ?? '0');
  if (cpSize <= index) return undefined;
  const object: AlertObject = {
    group: obj.group as string,
    version: obj.version as string,
    resource: obj.resource as string,
    namespace: obj.namespace as string,
    name: obj.name as string,
    uid: obj.uid as string,
    resourceVersion: obj.resourceVersion as string,
    ...(obj.subresource === undefined ? {} : { subresource: obj.subresource as string }),
  };
  return {
    id: o.id as string,
    index,
    rule: o.rule as string,
    severity: o.severity as AlertSeverity,
    message: o.message as string,
    path: o.path as string,
    cluster: o.cluster as string,
    object,
    verb: o.verb as string,
    action: o.action as string,
    user: o.user as string,
    impersonatedUser: o.impersonatedUser as string | null,
    reason: o.reason as string | null,
    stageTimestamp: o.stageTimestamp as string,
    auditID: o.auditID as string,
    sourceIPs: o.sourceIPs as string[],
    responseCode: o.responseCode,
    checkpoint: { origin: cp.origin, size: cpSize, rootHash: cp.rootHash, note: cp.note },
    ...(o.consoleUrl === undefined ? {} : { consoleUrl: o.consoleUrl as string }),
  };
}

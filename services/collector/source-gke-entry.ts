// A GKE Kubernetes audit log entry (Cloud Logging LogEntry whose protoPayload is a Cloud Audit Log,
// `@type type.googleapis.com/google.cloud.audit.AuditLog`, serviceName `k8s.io`) as the audit Event
// the apiserver would have written, so the same code makes the same change of it.
//
// GKE keeps less than the apiserver's Event, and the change says what it does not know:
//   - user: only the principal (authenticationInfo.principalEmail); no uid, groups or extra, and no
//     impersonatedUser;
//   - sourceIPs: the one caller address (requestMetadata.callerIp); userAgent from
//     callerSuppliedUserAgent;
//   - responseCode: the HTTP status when the response is a Kubernetes Status, else derived from the
//     google.rpc status code (0 is 200, or 201 for a create);
//   - timestamps: the entry's `timestamp` for both requestReceivedTimestamp and stageTimestamp;
//   - stage: only the last entry of an operation (operation.last, or no operation) is the
//     ResponseComplete one; requestURI is absent, so a dry run cannot be told apart;
//   - auditID: operation.id (GKE puts the apiserver's audit ID there), else the `audit.k8s.io/id`
//     label, else insertId (stable per log entry, so a redelivery is still a duplicate).
import { ChangeError, isObject } from '../../packages/change/index.js';

type Obj = Record<string, unknown>;

export const AUDIT_LOG_TYPE = 'type.googleapis.com/google.cloud.audit.AuditLog';
/** Kubernetes methods are `io.k8s.<group reversed>.<version>.<resource>[.<subresource>].<verb>`. */
const METHOD_PREFIX = 'io.k8s.';
const AUDIT_ID_LABEL = 'audit.k8s.io/id';

const bad = (field: string, why: string): never => {
  throw new ChangeError('SCHEMA', `${field}: ${why}`);
};

function optString(o: Obj, field: string, path: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') bad(`${path}${field}`, 'must be a string');
  return v as string;
}

/** HTTP status of a google.rpc.Code, as the apiserver maps Kubernetes errors onto it. */
const RPC_TO_HTTP: Record<number, number> = {
  1: 499, // CANCELLED
  2: 500, // UNKNOWN
  3: 400, // INVALID_ARGUMENT
  4: 504, // DEADLINE_EXCEEDED
  5: 404, // NOT_FOUND
  6: 409, // ALREADY_EXISTS
  7: 403, // PERMISSION_DENIED
  8: 429, // RESOURCE_EXHAUSTED
  9: 400, // FAILED_PRECONDITION
  10: 409, // ABORTED
  11: 400, // OUT_OF_RANGE
  12: 501, // UNIMPLEMENTED
  13: 500, // INTERNAL
  14: 503, // UNAVAILABLE
  15: 500, // DATA_LOSS
  16: 401, // UNAUTHENTICATED
};

/** The Kubernetes object without the `@type` Cloud Logging adds to request and response. */
function body(v: unknown): unknown {
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== '@type'));
}

interface Target {
  apiGroup: string;
  apiVersion: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** `<group|core>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]`. */
function parseResourceName(text: string): Target {
  const parts = text.split('/');
  if (parts.length < 3 || parts.length > 7 || parts.some((p) => p === '')) {
    bad(
      'protoPayload.resourceName',
      'must be <group>/<version>/[namespaces/<namespace>/]<resource>[/<name>]',
    );
  }
  const [group, version, ...rest] = parts as [string, string, ...string[]];
  const t: Target = { apiGroup: group === 'core' ? '' : group, apiVersion: version, resource: '' };
  // `namespaces/<ns>` is a namespace only when a resource follows it.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    t.namespace = rest[1] as string;
    rest.splice(0, 2);
  }
  if (rest.length > 3) bad('protoPayload.resourceName', 'has too many parts');
  t.resource = rest[0] as string;
  if (rest[1] !== undefined) t.name = rest[1];
  if (rest[2] !== undefined) t.subresource = rest[2];
  return t;
}

function auditIdOf(entry: Obj): string {
  if (isObject(entry.operation)) {
    const id = optString(entry.operation, 'id', 'operation.');
    if (id !== undefined && id !== '') return id;
  }
  if (isObject(entry.labels)) {
    const id = optString(entry.labels, AUDIT_ID_LABEL, 'labels.');
    if (id !== undefined && id !== '') return id;
  }
  const insertId = optString(entry, 'insertId', '');
  if (insertId === undefined || insertId === '') bad('insertId', 'missing (and no operation.id)');
  return insertId as string;
}

function responseCodeOf(payload: Obj, response: unknown, verb: string): number {
  if (isObject(response) && response.kind === 'Status' && typeof response.code === 'number') {
    return response.code;
  }
  let code = 0;
  if (payload.status !== undefined && payload.status !== null) {
    if (!isObject(payload.status)) bad('protoPayload.status', 'must be an object');
    const c = (payload.status as Obj).code;
    if (c !== undefined) {
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > 16) {
        bad('protoPayload.status.code', 'must be a google.rpc.Code (0-16)');
      }
      code = c as number;
    }
  }
  if (code === 0) return verb === 'create' ? 201 : 200;
  return RPC_TO_HTTP[code] ?? 500;
}

/**
 * The audit Event of one GKE audit LogEntry. Throws ChangeError('SCHEMA') naming the field when the
 * entry is not a Kubernetes audit entry of the expected shape.
 */
export function gkeEntryToEvent(entry: unknown): Obj {
  if (!isObject(entry)) bad('entry', 'must be an object');
  const e = entry as Obj;
  const payload = e.protoPayload;
  if (!isObject(payload)) bad('protoPayload', 'must be an object');
  const p = payload as Obj;
  const type = optString(p, '@type', 'protoPayload.');
  if (type !== undefined && type !== AUDIT_LOG_TYPE) bad('protoPayload.@type', `must be ${AUDIT_LOG_TYPE}`);
  const method = optString(p, 'methodName', 'protoPayload.') ?? '';
  if (!method.startsWith(METHOD_PREFIX))
    bad('protoPayload.methodName', 'must be a Kubernetes method (io.k8s.*)');
  const verb = method.slice(method.lastIndexOf('.') + 1);
  const resourceName = optString(p, 'resourceName', 'protoPayload.');
  if (resourceName === undefined) bad('protoPayload.resourceName', 'must be a string');
  const target = parseResourceName(resourceName as string);
  const auth = p.authenticationInfo;
  if (!isObject(auth)) bad('protoPayload.authenticationInfo', 'must be an object');
  const principal = optString(auth as Obj, 'principalEmail', 'protoPayload.authenticationInfo.');
  if (principal === undefined) bad('protoPayload.authenticationInfo.principalEmail', 'must be a string');
  const meta = p.requestMetadata === undefined || p.requestMetadata === null ? {} : p.requestMetadata;
  if (!isObject(meta)) bad('protoPayload.requestMetadata', 'must be an object');
  const m = meta as Obj;
  // callerIp is the field's name; some hand-written samples spell it callerIP.
  const callerIp =
    optString(m, 'callerIp', 'protoPayload.requestMetadata.') ??
    optString(m, 'callerIP', 'protoPayload.requestMetadata.');
  const userAgent = optString(m, 'callerSuppliedUserAgent', 'protoPayload.requestMetadata.');
  const timestamp = optString(e, 'timestamp', '');
  if (timestamp === undefined) bad('timestamp', 'must be a string');
  const last = isObject(e.operation) ? (e.operation as Obj).last : undefined;
  const request = p.request === undefined || p.request === null ? undefined : body(p.request);
  const response = p.response === undefined || p.response === null ? undefined : body(p.response);
  const event: Obj = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: auditIdOf(e),
    // An operation logged in parts (a long watch, say) is complete only in its last entry.
    stage: last === false ? 'ResponseStarted' : 'ResponseComplete',
    verb,
    user: { username: principal },
    sourceIPs: callerIp === undefined ? [] : [callerIp],
    objectRef: target,
    responseStatus: { code: responseCodeOf(p, response, verb) },
    requestReceivedTimestamp: timestamp,
    stageTimestamp: timestamp,
  };
  if (userAgent !== undefined) event.userAgent = userAgent;
  if (request !== undefined) event.requestObject = request;
  if (response !== undefined) event.responseObject = response;
  return event;
}

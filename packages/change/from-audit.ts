// An audit.k8s.io Event (v1 or v1beta1) as a change (DESIGN 3.2). Pure: the caller supplies the
// cluster, the source and the clock. The event is hostile input: every field is type-checked before
// use, and a malformed event is a ChangeError('SCHEMA') naming the field.

import { attributionOf } from './attribution.js';
import {
  type Action,
  CHANGE_SCHEMA,
  type Change,
  type ChangeSource,
  type ObjectRef,
  type UserInfo,
  type Verb,
} from './change.js';
import { ChangeError } from './errors.js';
import { MAX_NESTING_DEPTH, nestsDeeperThan } from './nesting.js';
import { extractReason } from './reason.js';
import { RECORDED_SUBRESOURCES, type ResourceFilter } from './resources.js';

export const AUDIT_API_VERSIONS: readonly string[] = ['audit.k8s.io/v1', 'audit.k8s.io/v1beta1'];
/** Audit stages whose events become changes (the audit policy must not omit them). */
export const RECORDED_STAGES: readonly string[] = ['ResponseComplete', 'Panic'];
/** Verbs whose events become changes; the audit policy records these at RequestResponse. */
export const MODIFYING_VERBS: readonly string[] = ['create', 'update', 'patch', 'delete', 'deletecollection'];
/** Audit IDs are used in NATS message ids and headers: printable ASCII without spaces, bounded. */
const AUDIT_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * Why an event that is a valid audit event is not a change (a metrics label); `not-audit` is a
 * collector's: a well-formed record of another kind (another log in the same export).
 */
export type SkipReason =
  | 'stage'
  | 'verb'
  | 'resource'
  | 'subresource'
  | 'dry-run'
  | 'no-object'
  | 'not-audit';

export type AuditOutcome = { change: Change } | { skipped: SkipReason; auditID: string };

export interface AuditContext {
  cluster: string;
  source: ChangeSource;
  /** The collector's clock when it accepted the event (RFC 3339). */
  observedAt: string;
  resources: ResourceFilter;
}

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(field: string, why: string): never {
  throw new ChangeError('SCHEMA', `${field}: ${why}`);
}

function str(o: Obj, field: string, path: string): string {
  const v = o[field];
  if (typeof v !== 'string') bad(`${path}${field}`, 'must be a string');
  return v;
}

function optStr(o: Obj, field: string, path: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') bad(`${path}${field}`, 'must be a string');
  return v;
}

function strList(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) bad(path, 'must be a list of strings');
  return v as string[];
}

function userInfo(v: unknown, path: string): UserInfo {
  if (!isObject(v)) bad(path, 'must be an object');
  const u: UserInfo = { username: str(v, 'username', `${path}.`) };
  const uid = optStr(v, 'uid', `${path}.`);
  if (uid !== undefined) u.uid = uid;
  if (v.groups !== undefined && v.groups !== null) u.groups = strList(v.groups, `${path}.groups`);
  if (v.extra !== undefined && v.extra !== null) {
    if (!isObject(v.extra)) bad(`${path}.extra`, 'must be an object');
    const extra: Record<string, string[]> = {};
    for (const [k, val] of Object.entries(v.extra)) {
      Object.defineProperty(extra, k, {
        value: strList(val, `${path}.extra`),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    u.extra = extra;
  }
  return u;
}

/** Whether the request URI has a `dryRun` query parameter (the parsed query, not a substring). */
export function isDryRun(requestURI: string): boolean {
  const q = requestURI.indexOf('?');
  if (q < 0) return false;
  return new URLSearchParams(requestURI.slice(q + 1)).has('dryRun');
}

/** The audited object without managedFields (also inside a List's items); never mutates its input. */
export function stripManagedFields(body: unknown): unknown {
  if (!isObject(body)) return body;
  let out: Obj = body;
  if (isObject(body.metadata) && 'managedFields' in body.metadata) {
    const metadata = Object.fromEntries(Object.entries(body.metadata).filter(([k]) => k !== 'managedFields'));
    out = { ...Object.fromEntries(Object.entries(body)), metadata };
  }
  if (Array.isArray(body.items)) {
    out = Object.fromEntries(Object.entries(out));
    out.items = body.items.map(stripManagedFields);
  }
  return out;
}

function actionOf(verb: Verb, responseCode: number): Action {
  switch (verb) {
    case 'create':
      return 'create';
    case 'update':
      return 'update';
    case 'patch':
      // Server-side apply of an object that did not exist is a patch answered 201 Created.
      return responseCode === 201 ? 'create' : 'update';
    case 'delete':
    case 'deletecollection':
      return 'delete';
  }
}

// The stored object (not a Status or a List) is the better source of the object's identity.
function storedMeta(response: unknown): Obj | undefined {
  if (!isObject(response) || !isObject(response.metadata)) return undefined;
  if (response.kind === 'Status' || (typeof response.kind === 'string' && response.kind.endsWith('List'))) {
    return undefined;
  }
  return response.metadata;
}

function objectOf(ref: Obj, response: unknown, verb: Verb): ObjectRef {
  const group = optStr(ref, 'apiGroup', 'objectRef.') ?? '';
  const meta = verb === 'deletecollection' ? undefined : storedMeta(response);
  const pick = (field: string): string => {
    const fromStored =
      meta !== undefined && typeof meta[field] === 'string' ? (meta[field] as string) : undefined;
    return fromStored ?? optStr(ref, field, 'objectRef.') ?? '';
  };
  const o: ObjectRef = {
    group,
    version: optStr(ref, 'apiVersion', 'objectRef.') ?? '',
    resource: str(ref, 'resource', 'objectRef.'),
    namespace: pick('namespace'),
    name: verb === 'deletecollection' ? '' : pick('name'),
    uid: pick('uid'),
    resourceVersion: pick('resourceVersion'),
  };
  const sub = optStr(ref, 'subresource', 'objectRef.');
  if (sub !== undefined && sub !== '') o.subresource = sub;
  return o;
}

/**
 * Classifies one audit event: a change, or a skip with its reason. Throws ChangeError('SCHEMA') when
 * the event is not a well-formed audit event (the caller sends it to INGRESS_REJECTED).
 */
export function auditEventToChange(event: unknown, ctx: AuditContext): AuditOutcome {
  if (!isObject(event)) bad('event', 'must be an object');
  if (nestsDeeperThan(event, MAX_NESTING_DEPTH)) {
    throw new ChangeError('TOO_DEEP', `event nests deeper than ${MAX_NESTING_DEPTH} levels`);
  }
  // Items of an EventList usually carry no kind or apiVersion of their own.
  if (event.kind !== undefined && event.kind !== 'Event') bad('kind', 'must be "Event"');
  if (event.apiVersion !== undefined && !AUDIT_API_VERSIONS.includes(event.apiVersion as string)) {
    bad('apiVersion', 'must be audit.k8s.io/v1 or v1beta1');
  }
  const auditID = str(event, 'auditID', '');
  if (!AUDIT_ID.test(auditID)) bad('auditID', 'must be 1-256 printable ASCII characters without spaces');
  const stage = str(event, 'stage', '');
  const verbText = str(event, 'verb', '');
  const requestURI = optStr(event, 'requestURI', '') ?? '';
  if (!RECORDED_STAGES.includes(stage)) return { skipped: 'stage', auditID };
  if (!MODIFYING_VERBS.includes(verbText)) return { skipped: 'verb', auditID };
  const verb = verbText as Verb;
  const ref = event.objectRef;
  if (ref === undefined || ref === null) return { skipped: 'no-object', auditID };
  if (!isObject(ref)) bad('objectRef', 'must be an object');
  const group = optStr(ref, 'apiGroup', 'objectRef.') ?? '';
  if (!ctx.resources.has(group, str(ref, 'resource', 'objectRef.'))) return { skipped: 'resource', auditID };
  const sub = optStr(ref, 'subresource', 'objectRef.');
  if (sub !== undefined && sub !== '' && !RECORDED_SUBRESOURCES.includes(sub)) {
    return { skipped: 'subresource', auditID };
  }
  if (isDryRun(requestURI)) return { skipped: 'dry-run', auditID };

  const status = event.responseStatus;
  if (!isObject(status)) bad('responseStatus', 'must be an object');
  const code = status.code;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) {
    bad('responseStatus.code', 'must be an HTTP status code');
  }
  const request = event.requestObject === undefined ? null : stripManagedFields(event.requestObject);
  const response = event.responseObject === undefined ? null : stripManagedFields(event.responseObject);
  const change: Change = {
    schema: CHANGE_SCHEMA,
    cluster: ctx.cluster,
    auditID,
    verb,
    action: actionOf(verb, code),
    object: objectOf(ref, response, verb),
    user: userInfo(event.user, 'user'),
    sourceIPs: event.sourceIPs === undefined ? [] : strList(event.sourceIPs, 'sourceIPs'),
    userAgent: optStr(event, 'userAgent', '') ?? '',
    requestReceivedTimestamp: str(event, 'requestReceivedTimestamp', ''),
    stageTimestamp: str(event, 'stageTimestamp', ''),
    responseCode: code,
    reason: extractReason(request),
    request,
    response,
    source: ctx.source,
    observedAt: ctx.observedAt,
  };
  if (event.impersonatedUser !== undefined && event.impersonatedUser !== null) {
    change.impersonatedUser = userInfo(event.impersonatedUser, 'impersonatedUser');
  }
  // Read from the raw bodies: the field manager lives in the managedFields stripped above.
  const attribution = attributionOf({
    userAgent: change.userAgent,
    username: change.user.username,
    requestURI,
    requestReceivedTimestamp: change.requestReceivedTimestamp,
    request: event.requestObject,
    response: event.responseObject,
  });
  if (attribution !== undefined) change.attribution = attribution;
  return { change };
}

// Strict schema validation of a parsed change (DESIGN 3.2). The input is attacker-shaped JSON from
// a leaf: every field is checked for presence and type before anything else reads it. Fields beyond
// the schema's are allowed (the schema says "at least these fields"); their absence is what matters.
import { CHANGE_SCHEMA, CHANGE_SOURCES, type Change } from './change.js';
import { ChangeError } from './errors.js';

/** Longest string accepted in an identifying field (cluster, auditID, names). */
export const MAX_FIELD_CHARS = 1024;

const VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const ACTIONS = new Set(['create', 'update', 'delete']);
const SOURCES = new Set<string>(CHANGE_SOURCES);
// The cluster is a key-name suffix and a NATS subject token: no spaces, '+', '.', or wildcards.
const CLUSTER_RE = /^[A-Za-z0-9_:-]{1,253}$/;

type Obj = Record<string, unknown>;

function fail(field: string, why: string): never {
  throw new ChangeError('SCHEMA', `${field}: ${why}`);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) fail(field, 'must be an object');
  return v;
}

function str(o: Obj, key: string, field: string, opts: { nonEmpty?: boolean; max?: number } = {}): string {
  const v = o[key];
  if (typeof v !== 'string') fail(field, 'must be a string');
  if (opts.nonEmpty === true && v.length === 0) fail(field, 'must not be empty');
  if (opts.max !== undefined && v.length > opts.max) fail(field, `longer than ${opts.max} characters`);
  return v;
}

function optStr(o: Obj, key: string, field: string): void {
  if (key in o && o[key] !== undefined) str(o, key, field);
}

function strArray(v: unknown, field: string): void {
  if (!Array.isArray(v)) fail(field, 'must be an array of strings');
  v.forEach((s, i) => {
    if (typeof s !== 'string') fail(`${field}[${i}]`, 'must be a string');
  });
}

function checkUser(v: unknown, field: string): void {
  const u = obj(v, field);
  str(u, 'username', `${field}.username`);
  optStr(u, 'uid', `${field}.uid`);
  if (u.groups !== undefined) strArray(u.groups, `${field}.groups`);
  if (u.extra !== undefined) {
    const extra = obj(u.extra, `${field}.extra`);
    for (const [k, vals] of Object.entries(extra)) strArray(vals, `${field}.extra.${k}`);
  }
}

function checkObjectRef(v: unknown): void {
  const o = obj(v, 'object');
  for (const k of ['group', 'version', 'resource', 'namespace', 'name', 'uid', 'resourceVersion']) {
    str(o, k, `object.${k}`, { max: MAX_FIELD_CHARS });
  }
  if (o.resource === '') fail('object.resource', 'must not be empty');
  optStr(o, 'subresource', 'object.subresource');
}

function oneOf(o: Obj, key: string, allowed: Set<string>): string {
  const v = str(o, key, key);
  if (!allowed.has(v)) fail(key, `not one of ${[...allowed].join(', ')}`);
  return v;
}

/** Longest tool id accepted in an attribution. */
export const MAX_TOOL_CHARS = 64;

// Optional (DESIGN 3.2): absent in older leaves and when nothing is known, so absence is valid;
// when present it must have the documented shape.
function checkAttribution(v: unknown): void {
  const a = obj(v, 'attribution');
  str(a, 'tool', 'attribution.tool', { nonEmpty: true, max: MAX_TOOL_CHARS });
  for (const k of ['name', 'revision', 'url']) {
    if (k in a) str(a, k, `attribution.${k}`, { max: MAX_FIELD_CHARS });
  }
}

/** Checks every required field of schema ingress-ledger.change/v1; throws ChangeError('SCHEMA') naming the field. */
export function validateChange(value: unknown): Change {
  const c = obj(value, 'change');
  if (c.schema !== CHANGE_SCHEMA) fail('schema', `must be "${CHANGE_SCHEMA}"`);
  const cluster = str(c, 'cluster', 'cluster');
  if (!CLUSTER_RE.test(cluster)) fail('cluster', 'must be 1-253 of [A-Za-z0-9_:-]');
  str(c, 'auditID', 'auditID', { nonEmpty: true, max: MAX_FIELD_CHARS });
  oneOf(c, 'verb', VERBS);
  oneOf(c, 'action', ACTIONS);
  checkObjectRef(c.object);
  checkUser(c.user, 'user');
  if (c.impersonatedUser !== undefined) checkUser(c.impersonatedUser, 'impersonatedUser');
  strArray(c.sourceIPs, 'sourceIPs');
  str(c, 'userAgent', 'userAgent');
  str(c, 'requestReceivedTimestamp', 'requestReceivedTimestamp', { max: 64 });
  str(c, 'stageTimestamp', 'stageTimestamp', { max: 64 });
  const code = c.responseCode;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 999) {
    fail('responseCode', 'must be an integer from 0 to 999');
  }
  if (c.reason !== null && typeof c.reason !== 'string') fail('reason', 'must be a string or null');
  if (!('request' in c)) fail('request', 'missing');
  if (!('response' in c)) fail('response', 'missing');
  oneOf(c, 'source', SOURCES);
  if (c.attribution !== undefined) checkAttribution(c.attribution);
  str(c, 'observedAt', 'observedAt', { max: 64 });
  return c as unknown as Change;
}

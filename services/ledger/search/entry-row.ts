// What the index stores about one entry, derived from its change and the stored object around it.
import { type Change, statedReason } from '../../../packages/change/index.js';
import {
  annotationsOf,
  hostsOf,
  isObject,
  isStoredObject,
  succeeded,
  tlsSecretsOf,
} from '../../../packages/risk/index.js';
import { rfc3339Micros } from './timestamp.js';

export interface EntryRow {
  idx: bigint;
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  api_group: string;
  resource: string;
  subresource: string;
  action: string;
  verb: string;
  username: string;
  user_agent: string;
  response_code: bigint;
  stage_us: bigint;
  received_us: bigint;
  reason: string | null;
  obj: string;
  stored: bigint;
  groups: string;
  source_ips: string;
  tls_secrets: string;
  annotation_keys: string;
}

/** The columns of search_entries in insert order. */
export const ROW_COLUMNS: readonly (keyof EntryRow)[] = [
  'idx',
  'cluster',
  'namespace',
  'name',
  'uid',
  'api_group',
  'resource',
  'subresource',
  'action',
  'verb',
  'username',
  'user_agent',
  'response_code',
  'stage_us',
  'received_us',
  'reason',
  'obj',
  'stored',
  'groups',
  'source_ips',
  'tls_secrets',
  'annotation_keys',
];

export interface Derived {
  row: EntryRow;
  attrs: [kind: string, value: string][];
  fts: { reason: string; username: string; names: string; hosts: string; annotations: string };
}

/** Characters of one attribute value kept in the index; longer values are cut (the leaf has them whole). */
export const MAX_ATTR_CHARS = 512;

/** The `attribution` attribute values of a change: `tool` and `tool:name` (the tool lower-cased). */
export function attributionKeys(c: Change): string[] {
  const a = c.attribution;
  if (a === undefined || typeof a.tool !== 'string' || a.tool === '') return [];
  const tool = a.tool.toLowerCase();
  return typeof a.name === 'string' && a.name !== '' ? [tool, `${tool}:${a.name}`] : [tool];
}

/** The key of the object a change is about, the same for every API group and subresource. */
export function objectKey(c: Change): string {
  return JSON.stringify([c.cluster, c.object.resource, c.object.namespace, c.object.name]);
}

/** True when the entry fixes the stored object (so later entries compare against it). */
export function setsStoredObject(c: Change): boolean {
  if (!succeeded(c)) return false;
  if (c.action === 'delete') return true;
  return (
    isStoredObject(c.response) || ((c.verb === 'create' || c.verb === 'update') && isStoredObject(c.request))
  );
}

/**
 * The object whose hosts and annotations describe the entry (DESIGN 5.1 `host`): the stored object
 * after the change, for a delete the last known version, and for a failed attempt the request.
 */
export function describedObject(c: Change, before: unknown, after: unknown): unknown {
  if (succeeded(c)) return after ?? before;
  return isObject(c.request) ? c.request : null;
}

export function deriveRow(idx: bigint, c: Change, described: unknown): Derived {
  const attrs: [string, string][] = [];
  const add = (kind: string, value: string) => {
    if (value !== '') attrs.push([kind, value.slice(0, MAX_ATTR_CHARS)]);
  };
  const hosts = [...new Set(hostsOf(described).map((h) => h.host))];
  for (const h of hosts) add('host', h);
  // The attributed source, by tool and by tool:name (filters.ts `attribution`).
  for (const v of attributionKeys(c)) add('attribution', v);
  const annotations = annotationsOf(described);
  const list = (xs: readonly string[]) => JSON.stringify(xs.map((x) => x.slice(0, MAX_ATTR_CHARS)));
  const users = [c.user.username, c.impersonatedUser?.username ?? ''].filter((u) => u !== '');
  const row: EntryRow = {
    idx,
    cluster: c.cluster,
    namespace: c.object.namespace,
    name: c.object.name,
    uid: c.object.uid,
    api_group: c.object.group,
    resource: c.object.resource,
    subresource: c.object.subresource ?? '',
    action: c.action,
    verb: c.verb,
    username: c.user.username,
    user_agent: c.userAgent,
    response_code: BigInt(c.responseCode),
    stage_us: rfc3339Micros(c.stageTimestamp) ?? 0n,
    received_us: rfc3339Micros(c.requestReceivedTimestamp) ?? 0n,
    // A delete is explained by the reason annotation of the object it removed (statedReason).
    reason: statedReason(c, described) ?? c.reason,
    obj: objectKey(c),
    stored: setsStoredObject(c) ? 1n : 0n,
    groups: list(c.user.groups ?? []),
    source_ips: list(c.sourceIPs),
    tls_secrets: list(tlsSecretsOf(described)),
    annotation_keys: list([...annotations.keys()]),
  };
  return {
    row,
    // Deduplicated: the primary key (kind, value, idx) admits each pair once.
    attrs: [...new Map(attrs.map((a) => [`${a[0]}\u0000${a[1]}`, a])).values()],
    fts: {
      reason: statedReason(c, described) ?? c.reason ?? '',
      username: users.join(' '),
      names: [c.object.name, c.object.namespace, c.cluster].join(' '),
      hosts: hosts.join(' '),
      annotations: [...annotations.values()].join('\n'),
    },
  };
}

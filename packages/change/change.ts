// CONTRACT (types are final; the functions below are stubs to be implemented by the collector work).
// The change object of schema ingress-ledger.change/v1 (DESIGN 3.2): one audited write of an
// Ingress-family object, as the collector observed it. It is the text of each leaf's signed note.

import type { Attribution } from './attribution.js';

export type { Attribution };

export const CHANGE_SCHEMA = 'ingress-ledger.change/v1';
/** A leaf (the whole signed note) is at most this many bytes: it must fit a tlog-tiles entry bundle. */
export const MAX_LEAF_BYTES = 65_535;

export type Action = 'create' | 'update' | 'delete';
export type Verb = 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
/** How the event reached the collector (DESIGN 3.2): the apiserver's own backends or a managed-cluster route. */
export type ChangeSource = 'audit-webhook' | 'audit-log' | 'eks-firehose' | 'gke-pubsub' | 'aks-eventhubs';
export const CHANGE_SOURCES: readonly ChangeSource[] = [
  'audit-webhook',
  'audit-log',
  'eks-firehose',
  'gke-pubsub',
  'aks-eventhubs',
];

export interface ObjectRef {
  group: string;
  version: string;
  resource: string;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  subresource?: string;
}

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface Change {
  schema: typeof CHANGE_SCHEMA;
  cluster: string;
  auditID: string;
  verb: Verb;
  action: Action;
  object: ObjectRef;
  user: UserInfo;
  impersonatedUser?: UserInfo;
  sourceIPs: string[];
  userAgent: string;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  responseCode: number;
  reason: string | null;
  /** The audited requestObject (managedFields removed), a BodyRef when moved out, or null. */
  request: unknown;
  /** The audited responseObject (managedFields removed), a BodyRef when moved out, or null. */
  response: unknown;
  source: ChangeSource;
  /**
   * Where an automated change came from (docs/attribution.md). Added in December 2026: older
   * leaves lack it, and a change with nothing known omits it, so its leaf is unchanged.
   */
  attribution?: Attribution;
  observedAt: string;
}

/** The identity of a change in the log: `<cluster>/<auditID>`. */
export function changeIdentity(c: Pick<Change, 'cluster' | 'auditID'>): string {
  return `${c.cluster}/${c.auditID}`;
}

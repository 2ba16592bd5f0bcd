// Who counts as a person when a reason is asked for (issue 18). One notion for the admission
// policy (deploy/kubernetes/components/reason-policy, whose CEL states the same defaults), the
// `reason-missing` finding and the period report's "changes without a why" counts.
import type { Change, UserInfo } from './change.js';
import { CHANGE_CAUSE_ANNOTATION, REASON_ANNOTATION } from './reason.js';

/** Username prefixes of identities that are never people: service accounts and kubelets. */
export const NON_HUMAN_USER_PREFIXES: readonly string[] = ['system:serviceaccount:', 'system:node:'];
/** Control-plane components that authenticate as fixed `system:` users. */
export const NON_HUMAN_USERS: readonly string[] = [
  'system:apiserver',
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:kube-proxy',
];
/** Groups whose members are never people. */
export const NON_HUMAN_GROUPS: readonly string[] = ['system:serviceaccounts', 'system:nodes'];

/** Identities exempted on top of the built-in non-human ones (controllers that use user credentials). */
export interface ExemptIdentities {
  users?: readonly string[];
  groups?: readonly string[];
}

/** True when the user is a person who should state a reason: not a built-in or configured exemption. */
export function isHumanUser(user: UserInfo, exempt: ExemptIdentities = {}): boolean {
  const name = user.username;
  if (name === '' || name === 'system:anonymous') return false;
  if (NON_HUMAN_USER_PREFIXES.some((p) => name.startsWith(p))) return false;
  if (NON_HUMAN_USERS.includes(name) || (exempt.users ?? []).includes(name)) return false;
  const groups = user.groups ?? [];
  const exemptGroups = [...NON_HUMAN_GROUPS, ...(exempt.groups ?? [])];
  return !groups.some((g) => exemptGroups.includes(g));
}

const nonBlank = (s: unknown): s is string => typeof s === 'string' && s.trim() !== '';

/** The reason annotation an object carries (ours first, then kubectl's), or null. */
export function reasonOnObject(obj: unknown): string | null {
  if (typeof obj !== 'object' || obj === null) return null;
  const meta = (obj as { metadata?: unknown }).metadata;
  if (typeof meta !== 'object' || meta === null) return null;
  const ann = (meta as { annotations?: unknown }).annotations;
  if (typeof ann !== 'object' || ann === null) return null;
  const a = ann as Record<string, unknown>;
  const v = nonBlank(a[REASON_ANNOTATION]) ? a[REASON_ANNOTATION] : a[CHANGE_CAUSE_ANNOTATION];
  return nonBlank(v) ? v : null;
}

/**
 * The why of a change: its stated reason (DESIGN 3.2 `reason`) when not blank. A delete's request
 * body cannot carry one, so a delete is explained by the reason annotation of the object it
 * deleted (`deleted`: the last stored version): annotate, then delete (docs/attribution.md).
 */
export function statedReason(c: Pick<Change, 'reason' | 'action'>, deleted?: unknown): string | null {
  if (nonBlank(c.reason)) return c.reason;
  return c.action === 'delete' ? reasonOnObject(deleted) : null;
}

/** True when the change states a reason (see statedReason). */
export const hasReason = (c: Pick<Change, 'reason' | 'action'>, deleted?: unknown): boolean =>
  statedReason(c, deleted) !== null;

/** A change made by a person that states no reason. */
export function lacksReason(c: Change, exempt: ExemptIdentities = {}, deleted?: unknown): boolean {
  return !hasReason(c, deleted) && isHumanUser(c.user, exempt);
}

// Who counts as a person when a reason is asked for (issue 18). One notion for the admission
// policy (deploy/kubernetes/components/reason-policy, whose CEL states the same defaults), the
// `reason-missing` finding and the period report's "changes without a why" counts.
import type { Change, UserInfo } from './change.js';

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

/** True when the change states a reason (a non-blank annotation value). */
export const hasReason = (c: Pick<Change, 'reason'>): boolean => c.reason !== null && c.reason.trim() !== '';

/** A change made by a person that states no reason (an attempt that was denied counts too). */
export function lacksReason(c: Change, exempt: ExemptIdentities = {}): boolean {
  return !hasReason(c) && isHumanUser(c.user, exempt);
}

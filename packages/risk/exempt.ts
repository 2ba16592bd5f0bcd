// Per-rule exemptions: a rule ignores changes made by the users its settings list.
import type { Change } from '../change/index.js';

export function actorExempt(change: Change, exemptUsers: readonly string[]): boolean {
  return exemptUsers.length > 0 && exemptUsers.includes(change.user.username);
}

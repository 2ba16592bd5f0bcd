// Which object the cluster stores after a change: what rules compare and history diffs.
import { type Change, isBodyRef } from '../change/index.js';
import { succeeded } from './rule.js';
import { isObject } from './types.js';

/** An object body as the API server returns it (not a Status, not a BodyRef). */
export function isStoredObject(v: unknown): v is Record<string, unknown> {
  return isObject(v) && isObject(v.metadata) && v.kind !== 'Status' && !isBodyRef(v);
}

/**
 * The stored object after `change`, given the one before it. A failed attempt keeps `before`; a
 * delete leaves nothing; otherwise the audited response, or for create/update without a response
 * the full request object. A patch without a response has an unknown effect: `before` is kept.
 */
export function storedAfter(change: Change, before: unknown): unknown {
  if (!succeeded(change)) return before;
  if (change.action === 'delete') return null;
  // A status write changes only status: the response is still the whole object.
  if (isStoredObject(change.response)) return change.response;
  if ((change.verb === 'create' || change.verb === 'update') && isStoredObject(change.request))
    return change.request;
  return before;
}

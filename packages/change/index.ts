// packages/change: the change object (schema ingress-ledger.change/v1), its canonical JSON form,
// and its signed-note leaf (made by collectors, opened by the ledger and by auditors).

export {
  type ExemptIdentities,
  hasReason,
  isHumanUser,
  lacksReason,
  NON_HUMAN_GROUPS,
  NON_HUMAN_USER_PREFIXES,
  NON_HUMAN_USERS,
  reasonOnObject,
  statedReason,
} from './actor.js';
export {
  type Attribution,
  type AttributionInput,
  attributionOf,
  MAX_ATTRIBUTION_CHARS,
} from './attribution.js';
export { type BodyRef, bodyRefs, bodyRefsOfLeaf, isBodyRef } from './body-refs.js';
export { canonicalJson } from './canonical.js';
export {
  type Action,
  CHANGE_SCHEMA,
  CHANGE_SOURCES,
  type Change,
  type ChangeSource,
  changeIdentity,
  MAX_LEAF_BYTES,
  type UserInfo,
  type Verb,
} from './change.js';
export { ChangeError, type ChangeErrorCode } from './errors.js';
export {
  type AuditOutcome,
  auditEventToChange,
  isObject,
  MODIFYING_VERBS,
  RECORDED_STAGES,
  type SkipReason,
} from './from-audit.js';
export { makeLeaf } from './make-leaf.js';
export { boundedJson, MAX_NESTING_DEPTH, nestsDeeperThan } from './nesting.js';
export { COLLECTOR_PREFIX, openLeaf } from './open-leaf.js';
export { DEFAULT_RESOURCES, RECORDED_SUBRESOURCES, ResourceFilter } from './resources.js';
export { validateChange } from './validate.js';

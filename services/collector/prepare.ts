// The CPU half of publishing an audit item: classify it, and either sign its change as a leaf or
// describe why it is skipped or rejected. No I/O, so it runs on the main thread (log tail) and on the
// webhook's worker threads alike; the publisher only sends what comes out.
import { createHash } from 'node:crypto';
import {
  type AuditOutcome,
  auditEventToChange,
  ChangeError,
  type ChangeErrorCode,
  type ChangeSource,
  changeIdentity,
  makeLeaf,
  type ResourceFilter,
  type SkipReason,
} from '../../packages/change/index.js';
import type { PrivateKey } from '../../packages/tlog/index.js';
import { type AuditItem, itemBytes } from './audit-input.js';

/** One item made ready to publish, in the order of its batch. */
export type PreparedItem =
  | {
      kind: 'leaf';
      /** Nats-Msg-Id of the leaf: the change's identity `<cluster>/<auditID>`. */
      msgId: string;
      leaf: Uint8Array;
      /** Out-of-leaf bodies, published (and acknowledged) before the leaf. */
      bodies: { sha256: string; data: Uint8Array }[];
    }
  | { kind: 'skipped'; reason: SkipReason }
  | {
      kind: 'rejected';
      code: ChangeErrorCode;
      message: string;
      /** The item's original bytes, for INGRESS_REJECTED. */
      bytes: Uint8Array;
      /** Lower-case hex SHA-256 of bytes (the message id's last part). */
      sha256: string;
    };

export interface PrepareContext {
  cluster: string;
  key: PrivateKey;
  resources: ResourceFilter;
  source: ChangeSource;
  /** The collector's clock when it accepted the batch (RFC 3339), the same for all its items. */
  observedAt: string;
}

/** Prepares one item. Only a bug throws (anything but ChangeError); bad input becomes 'rejected'. */
export function prepareItem(item: AuditItem, ctx: PrepareContext): PreparedItem {
  try {
    return prepareOne(item, ctx);
  } catch (err) {
    // A stack overflow on one item's nesting (past the depth check) fails that item, not its batch.
    if (err instanceof RangeError) return rejected(item, new ChangeError('TOO_DEEP', 'too deeply nested'));
    throw err;
  }
}

function prepareOne(item: AuditItem, ctx: PrepareContext): PreparedItem {
  if ('invalid' in item) return rejected(item, item.error);
  if ('notAudit' in item) return { kind: 'skipped', reason: 'not-audit' };
  let outcome: AuditOutcome;
  try {
    outcome = auditEventToChange(item.event, ctx);
  } catch (err) {
    if (err instanceof ChangeError) return rejected(item, err);
    throw err;
  }
  if ('skipped' in outcome) return { kind: 'skipped', reason: outcome.skipped };
  try {
    const made = makeLeaf(outcome.change, ctx.key);
    return { kind: 'leaf', msgId: changeIdentity(outcome.change), leaf: made.leaf, bodies: made.bodies };
  } catch (err) {
    if (err instanceof ChangeError) return rejected(item, err);
    throw err;
  }
}

function rejected(item: AuditItem, err: ChangeError): PreparedItem {
  const bytes = Buffer.from(itemBytes(item), 'utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { kind: 'rejected', code: err.code, message: err.message, bytes, sha256 };
}

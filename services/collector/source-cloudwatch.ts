// One record of an Amazon Data Firehose delivery from a CloudWatch Logs subscription (EKS control
// plane logs): base64 of a gzip'd subscription payload
// `{messageType, logGroup, logStream, logEvents: [{id, timestamp, message}]}` whose messages are
// audit Event JSON lines. A stream with Firehose's own decompression on delivers the payload (or,
// with message extraction, the messages as lines) without gzip; both are read too.
//
// Everything here is hostile input: base64 is checked strictly, decompression is capped before it
// allocates (a gzip bomb stops at the cap), and a bad record is one malformed item, never a failed
// batch.
import { gunzipSync } from 'node:zlib';
import { ChangeError, isObject } from '../../packages/change/index.js';
import { type AuditItem, invalidItem, ndjsonItems } from './audit-input.js';
import { CollectorError } from './errors.js';

/** EKS writes the apiserver's audit log to streams named so; the log group's other streams are skipped. */
export const EKS_AUDIT_STREAM_PREFIX = 'kube-apiserver-audit';

/** Standard padded base64 (RFC 4648 §4), whole groups only. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Bytes of base64 text, or undefined when it is not strict standard padded base64. */
export function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** How much decompressed data a delivery may still produce; shared by its records. */
export interface ExpansionBudget {
  /** Most bytes one record may decompress to. */
  perRecord: number;
  /** Bytes left for the rest of the delivery. */
  left: number;
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const bad = (data: string, why: string): AuditItem[] => [invalidItem(data, new ChangeError('SCHEMA', why))];

/**
 * The audit items of one Firehose record's `data` (base64). Throws CollectorError('TOO_LARGE') only
 * when the delivery as a whole has used its budget (the sender should send smaller batches); a
 * record that alone decompresses past the per-record cap is a malformed item.
 */
export function cloudwatchRecordItems(data: string, budget: ExpansionBudget): AuditItem[] {
  const raw = decodeBase64(data);
  if (raw === undefined) return bad(data, 'records[].data is not standard padded base64');
  let bytes: Buffer = raw;
  if (isGzip(raw)) {
    const cap = Math.min(budget.perRecord, budget.left);
    try {
      bytes = gunzipSync(raw, { maxOutputLength: cap });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') {
        return bad(data, 'records[].data is not valid gzip');
      }
      if (cap < budget.perRecord)
        throw new CollectorError('TOO_LARGE', 'delivery decompresses past the limit');
      return bad(data.slice(0, 1024), `records[].data decompresses past ${budget.perRecord} bytes`);
    }
  }
  budget.left -= bytes.length;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return bad(data, 'records[].data is not UTF-8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Firehose's message extraction: the log messages themselves, one per line.
    return ndjsonItems(text);
  }
  if (!isObject(doc) || !('messageType' in doc)) return ndjsonItems(text);
  return subscriptionItems(doc, text);
}

/** The items of a CloudWatch Logs subscription payload. */
function subscriptionItems(doc: Record<string, unknown>, text: string): AuditItem[] {
  // CloudWatch sends a CONTROL_MESSAGE when it sets up the subscription, to check the destination.
  if (doc.messageType === 'CONTROL_MESSAGE') return [];
  if (doc.messageType !== 'DATA_MESSAGE')
    return bad(text, 'messageType must be DATA_MESSAGE or CONTROL_MESSAGE');
  if (!Array.isArray(doc.logEvents)) return bad(text, 'logEvents must be a list');
  if (typeof doc.logStream !== 'string') return bad(text, 'logStream must be a string');
  const stream = doc.logStream;
  if (!stream.startsWith(EKS_AUDIT_STREAM_PREFIX)) {
    // The cluster's other control-plane logs (api, authenticator, ...) share the log group.
    return doc.logEvents.map(() => ({ notAudit: `logStream ${stream.slice(0, 64)}` }));
  }
  return doc.logEvents.map((e: unknown): AuditItem => {
    if (!isObject(e) || typeof e.message !== 'string') {
      return invalidItem(
        JSON.stringify(e) ?? 'null',
        new ChangeError('SCHEMA', 'logEvents[].message must be a string'),
      );
    }
    try {
      return { event: JSON.parse(e.message) };
    } catch {
      return invalidItem(e.message, new ChangeError('SCHEMA', 'logEvents[].message is not JSON'));
    }
  });
}

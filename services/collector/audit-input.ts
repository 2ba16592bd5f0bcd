// The shapes audit events arrive in: an `Event` or `EventList` (webhook and log), and in log files
// also the AKS diagnostic-records wrapper, where each `records[].properties.log` is one event as a
// JSON string. Only the envelope is checked here; each event is checked by auditEventToChange.
import { boundedJson, ChangeError, isObject } from '../../packages/change/index.js';
import { CollectorError } from './errors.js';

/** One event to classify, or an item already known to be malformed (it goes to INGRESS_REJECTED). */
export type AuditItem = { event: unknown } | { invalid: string; error: ChangeError };

/** A document that is valid JSON but not audit data (an AdmissionReview, say): skipped, not rejected. */
export interface ForeignDocument {
  foreignKind: string;
}

function listItems(doc: Record<string, unknown>): AuditItem[] {
  if (!Array.isArray(doc.items)) throw new CollectorError('BAD_REQUEST', 'EventList.items must be a list');
  return doc.items.map((event) => ({ event }));
}

/** The events of a webhook body (already valid JSON). Throws BAD_REQUEST unless Event or EventList. */
function webhookItems(doc: unknown): AuditItem[] {
  if (!isObject(doc)) throw new CollectorError('BAD_REQUEST', 'body must be a JSON object');
  if (doc.kind === 'EventList') return listItems(doc);
  if (doc.kind === 'Event') return [{ event: doc }];
  throw new CollectorError('BAD_REQUEST', 'body must be an audit Event or EventList');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The events of a webhook body's bytes. Throws BAD_REQUEST unless UTF-8 JSON of an Event or EventList. */
export function webhookBodyItems(body: Uint8Array): AuditItem[] {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new CollectorError('BAD_REQUEST', 'body is not UTF-8');
  }
  let doc: unknown;
  try {
    // A leading byte-order mark is allowed by RFC 8259 and written by some Windows tools.
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw new CollectorError('BAD_REQUEST', 'body is not JSON');
  }
  return webhookItems(doc);
}

function recordItem(record: unknown): AuditItem {
  if (!isObject(record) || !isObject(record.properties) || typeof record.properties.log !== 'string') {
    return {
      invalid: safeStringify(record),
      error: new ChangeError('SCHEMA', 'records[].properties.log must be a string'),
    };
  }
  try {
    return { event: JSON.parse(record.properties.log) };
  } catch {
    return {
      invalid: record.properties.log,
      error: new ChangeError('SCHEMA', 'properties.log is not JSON'),
    };
  }
}

// Bounded: an item may nest deeper than JSON.stringify can recurse.
const safeStringify = (v: unknown): string => boundedJson(v);

/**
 * The events of one line of an audit log (or any JSON document read from a file): an Event, an
 * EventList, an AKS `{"records": [...]}` batch or a single AKS record. A line that does not parse,
 * or whose kind is not a string, is one invalid item.
 */
export function logItems(line: string): AuditItem[] | ForeignDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);
  } catch {
    return [{ invalid: line, error: new ChangeError('SCHEMA', 'line is not JSON') }];
  }
  if (!isObject(doc))
    return [{ invalid: line, error: new ChangeError('SCHEMA', 'line is not a JSON object') }];
  if (Array.isArray(doc.records)) return doc.records.map(recordItem);
  if (isObject(doc.properties) && typeof doc.properties.log === 'string') return [recordItem(doc)];
  if (doc.kind === 'EventList') {
    if (!Array.isArray(doc.items)) {
      return [{ invalid: line, error: new ChangeError('SCHEMA', 'EventList.items must be a list') }];
    }
    return listItems(doc);
  }
  if (doc.kind === undefined || doc.kind === 'Event') return [{ event: doc }];
  if (typeof doc.kind === 'string') return { foreignKind: doc.kind };
  return [{ invalid: line, error: new ChangeError('SCHEMA', 'kind must be a string') }];
}

/** The original bytes of an item for INGRESS_REJECTED. */
export function itemBytes(item: AuditItem): string {
  return 'invalid' in item ? item.invalid : safeStringify(item.event);
}

// The shapes audit events arrive in: an `Event` or `EventList` (webhook and log), NDJSON of those
// (a log forwarder on the webhook), and the AKS diagnostic-records wrapper, where each
// `records[].properties.log` is one event as a JSON string (log files, /sources/aks-eventhubs).
// Only the envelope is checked here; each event is checked by auditEventToChange.
import { boundedJson, ChangeError, isObject } from '../../packages/change/index.js';
import { CollectorError } from './errors.js';

/**
 * One event to classify; an item already known to be malformed (it goes to INGRESS_REJECTED); or a
 * well-formed record that is not an audit event (another control-plane log in the same CloudWatch
 * log group, say), skipped as `not-audit`.
 */
export type AuditItem = { event: unknown } | { invalid: string; error: ChangeError } | { notAudit: string };

/**
 * The most of a malformed item kept in INGRESS_REJECTED: a NATS message is 1 MiB by default, and a
 * rejected item that can never be published would fail its batch on every retry.
 */
export const MAX_REJECTED_ITEM_CHARS = 256 * 1024;

/** A malformed item, its text cut to MAX_REJECTED_ITEM_CHARS (the reason says so). */
export function invalidItem(text: string, error: ChangeError): AuditItem {
  if (text.length <= MAX_REJECTED_ITEM_CHARS) return { invalid: text, error };
  return {
    invalid: text.slice(0, MAX_REJECTED_ITEM_CHARS),
    error: new ChangeError(
      error.code,
      `${error.message} (item cut to its first ${MAX_REJECTED_ITEM_CHARS} characters)`,
    ),
  };
}

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

/** The body as text, without a leading byte-order mark. Throws BAD_REQUEST unless UTF-8. */
export function bodyText(body: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new CollectorError('BAD_REQUEST', 'body is not UTF-8');
  }
  // A leading byte-order mark is allowed by RFC 8259 and written by some Windows tools.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The events of a webhook body's bytes: an Event or EventList, or NDJSON (one audit document per
 * line) when `ndjson` says so (its Content-Type) or the body is not one JSON document but its first
 * line is one. Throws BAD_REQUEST unless UTF-8 and one of those.
 */
export function webhookBodyItems(body: Uint8Array, ndjson = false): AuditItem[] {
  const text = bodyText(body);
  if (ndjson) return ndjsonItems(text);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // A pretty-printed document's first line is never a whole JSON object, so only NDJSON gets here.
    if (isJsonObjectLine(firstLine(text))) return ndjsonItems(text);
    throw new CollectorError('BAD_REQUEST', 'body is not JSON');
  }
  return webhookItems(doc);
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

function isJsonObjectLine(line: string): boolean {
  try {
    return isObject(JSON.parse(line));
  } catch {
    return false;
  }
}

/**
 * The items of NDJSON text: each non-blank line read as a log line is (Event, EventList, AKS
 * records); a line that is not JSON is one malformed item and the others are still taken; a
 * document of another kind is skipped as not-audit.
 */
export function ndjsonItems(text: string): AuditItem[] {
  const out: AuditItem[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const got = logItems(line);
    if (Array.isArray(got)) {
      for (const item of got) out.push('invalid' in item ? invalidItem(item.invalid, item.error) : item);
    } else {
      out.push({ notAudit: got.foreignKind });
    }
  }
  return out;
}

/**
 * The events of an Event Hubs forwarder's body (/sources/aks-eventhubs): a `{"records": [...]}`
 * batch or a single diagnostic record, or NDJSON of those. Throws BAD_REQUEST unless UTF-8 and JSON
 * of that shape.
 */
export function aksBodyItems(body: Uint8Array): AuditItem[] {
  const text = bodyText(body);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    if (isJsonObjectLine(firstLine(text))) return ndjsonItems(text);
    throw new CollectorError('BAD_REQUEST', 'body is not JSON');
  }
  if (isObject(doc) && Array.isArray(doc.records)) return doc.records.map(recordItem);
  if (isObject(doc) && isObject(doc.properties)) return [recordItem(doc)];
  throw new CollectorError('BAD_REQUEST', 'body must be an Azure diagnostic {"records": [...]} batch');
}

function recordItem(record: unknown): AuditItem {
  if (!isObject(record) || !isObject(record.properties) || typeof record.properties.log !== 'string') {
    return invalidItem(
      safeStringify(record),
      new ChangeError('SCHEMA', 'records[].properties.log must be a string'),
    );
  }
  try {
    return { event: JSON.parse(record.properties.log) };
  } catch {
    return invalidItem(record.properties.log, new ChangeError('SCHEMA', 'properties.log is not JSON'));
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
  if ('invalid' in item) return item.invalid;
  return 'event' in item ? safeStringify(item.event) : '';
}

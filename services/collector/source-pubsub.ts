// A Pub/Sub push delivery (POST <webhook>/sources/gke-pubsub, DESIGN 13) from a Cloud Logging sink:
// the envelope `{"message": {"data": base64, "attributes", "messageId", "publishTime"},
// "subscription"}`, whose data is one LogEntry (source-gke-entry.ts makes the audit Event of it). A
// subscription with payload unwrapping on sends the LogEntry itself, which is read too.
//
// Push semantics decide the answers: any 2xx acknowledges, anything else is redelivered (with
// backoff, until the retention or a dead-letter topic ends it). So a malformed message is still
// acknowledged: it becomes one malformed item (INGRESS_REJECTED, counted) rather than an error,
// which would bring it back forever. Only what a retry can fix is refused: credentials, size, and a
// store that is down.
import { ChangeError, isObject } from '../../packages/change/index.js';
import { type AuditItem, invalidItem } from './audit-input.js';
import { decodeBase64 } from './source-cloudwatch.js';
import { gkeEntryToEvent } from './source-gke-entry.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function entryItem(entryText: string): AuditItem {
  let entry: unknown;
  try {
    entry = JSON.parse(entryText.charCodeAt(0) === 0xfeff ? entryText.slice(1) : entryText);
  } catch {
    return invalidItem(entryText, new ChangeError('SCHEMA', 'message data is not JSON'));
  }
  try {
    return { event: gkeEntryToEvent(entry) };
  } catch (err) {
    if (err instanceof ChangeError) return invalidItem(entryText, err);
    throw err;
  }
}

/** The one item of a push body. Never throws for bad input: see the head of this file. */
export function pubsubItems(body: Uint8Array): AuditItem[] {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return [
      invalidItem(
        Buffer.from(body).toString('base64'),
        new ChangeError('SCHEMA', 'push body is not UTF-8 (kept as base64)'),
      ),
    ];
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return [invalidItem(text, new ChangeError('SCHEMA', 'push body is not JSON'))];
  }
  if (!isObject(doc))
    return [invalidItem(text, new ChangeError('SCHEMA', 'push body must be a JSON object'))];
  // Unwrapped delivery: the body is the message data, the LogEntry itself.
  if ('protoPayload' in doc) return [entryItem(text)];
  const message = doc.message;
  if (!isObject(message) || typeof message.data !== 'string') {
    return [invalidItem(text, new ChangeError('SCHEMA', 'message.data must be a base64 string'))];
  }
  const data = decodeBase64(message.data);
  if (data === undefined) {
    return [invalidItem(text, new ChangeError('SCHEMA', 'message.data is not standard padded base64'))];
  }
  let entryText: string;
  try {
    entryText = utf8.decode(data);
  } catch {
    return [invalidItem(text, new ChangeError('SCHEMA', 'message data is not UTF-8'))];
  }
  return [entryItem(entryText)];
}

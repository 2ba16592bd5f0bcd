// The CloudEvents 1.0 form of an alert, structured JSON mode: the event's attributes and the alert
// as `data` in one JSON object, sent as `application/cloudevents+json` (docs/alerts.md).
import { ALERT_EVENT_TYPE, type Alert, encodeAlert } from '../../../packages/runtime/index.js';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

/**
 * `id` is the alert id (so a receiver deduplicates on it, as CloudEvents asks of source + id),
 * `source` the log's origin, `subject` the object, `time` the audited stageTimestamp.
 */
export function cloudEvent(a: Alert, raw = encodeAlert(a)): string {
  const attrs = JSON.stringify({
    specversion: '1.0',
    id: a.id,
    source: a.checkpoint.origin,
    type: ALERT_EVENT_TYPE,
    subject: `${a.cluster}/${a.object.namespace}/${a.object.name}`,
    time: a.stageTimestamp,
    datacontenttype: 'application/json',
  });
  return `${attrs.slice(0, -1)},"data":${raw}}`;
}

// Amazon Data Firehose HTTP endpoint delivery (POST <webhook>/sources/eks-firehose, DESIGN 13), as
// AWS documents it ("HTTP endpoint delivery request and response specifications", protocol 1.0):
//
// request:  headers X-Amz-Firehose-Request-Id (the same on every retry of a delivery),
//           X-Amz-Firehose-Access-Key (the secret configured on the stream; here the webhook token),
//           Content-Type application/json, Content-Encoding gzip when the stream compresses;
//           body {"requestId", "timestamp" (ms), "records": [{"data": base64}]}.
// response: Content-Type application/json, body {"requestId" (the request's), "timestamp" (ms)}, and
//           on failure also "errorMessage"; 200 is success, anything else is retried by Firehose
//           until the stream's retry duration, then backed up to S3.
import { ChangeError, isObject } from '../../packages/change/index.js';
import { type AuditItem, bodyText, invalidItem } from './audit-input.js';
import { CollectorError } from './errors.js';
import { cloudwatchRecordItems, type ExpansionBudget } from './source-cloudwatch.js';

export const FIREHOSE_REQUEST_ID_HEADER = 'x-amz-firehose-request-id';
export const FIREHOSE_ACCESS_KEY_HEADER = 'x-amz-firehose-access-key';
/** Firehose's request ids are GUIDs; anything printable up to this long is echoed back as is. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The request id to answer with: the header's, when it is a sane token. Firehose counts an answer
 * whose requestId differs from its own as a failure, so a missing or odd one is answered with an
 * empty id (and the request refused).
 */
export function firehoseRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;
}

/** The answer body Firehose expects; errorMessage only on failure. */
export function firehoseAnswer(requestId: string, errorMessage?: string): string {
  return JSON.stringify({
    requestId,
    timestamp: Date.now(),
    ...(errorMessage === undefined ? {} : { errorMessage }),
  });
}

/**
 * The audit items of a delivery's body. Throws CollectorError('BAD_REQUEST') when the body is not a
 * Firehose delivery (nothing of it is taken), 'TOO_LARGE' when its records together decompress past
 * budget.left; a bad record is one malformed item and the others are taken.
 */
export function firehoseItems(body: Uint8Array, budget: ExpansionBudget): AuditItem[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bodyText(body));
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError('BAD_REQUEST', 'body is not JSON');
  }
  if (!isObject(doc) || !Array.isArray(doc.records)) {
    throw new CollectorError('BAD_REQUEST', 'body must be a Firehose delivery with a records list');
  }
  const out: AuditItem[] = [];
  for (const record of doc.records) {
    if (!isObject(record) || typeof record.data !== 'string') {
      out.push(
        invalidItem(
          JSON.stringify(record) ?? 'null',
          new ChangeError('SCHEMA', 'records[].data must be a string'),
        ),
      );
      continue;
    }
    for (const item of cloudwatchRecordItems(record.data, budget)) out.push(item);
  }
  return out;
}

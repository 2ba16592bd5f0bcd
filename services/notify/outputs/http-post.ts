// One HTTP POST with a deadline, for the HTTP outputs. The answer's body is read only as far as an
// output needs it (capped), so a hostile or broken receiver cannot make us buffer without end.
import { DeliveryError, httpStatusError } from './output.js';

/** Most bytes of an answer read (Elasticsearch's _bulk reply is the largest we look at). */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export interface PostResult {
  status: number;
  body: string;
}

export async function httpPost(
  output: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  readBody = false,
): Promise<PostResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs}ms` : (e.cause?.code ?? e.message);
    throw new DeliveryError(`${output}: ${why}`, true);
  }
  let text = '';
  if (readBody && res.body !== null) {
    text = await readCapped(res, output);
  } else {
    await res.body?.cancel().catch(() => {});
  }
  if (res.status < 200 || res.status > 299) throw httpStatusError(output, res.status);
  return { status: res.status, body: text };
}

async function readCapped(res: Response, output: string): Promise<string> {
  const reader = res.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => {});
      throw new DeliveryError(`${output}: answer larger than ${MAX_ANSWER_BYTES} bytes`, true);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// A layout read over HTTP: a tlog-tiles server such as the ledger's (DESIGN 10), or any static web
// server in front of an export. The server is not trusted: sizes are capped while reading, and
// everything read is verified by the caller.
import { ExportError } from './errors.js';
import type { LayoutReader } from './layout-io.js';

/** How long one request may take, headers and body. */
export const HTTP_TIMEOUT_MS = 30_000;

export function httpReader(base: string, timeoutMs = HTTP_TIMEOUT_MS): LayoutReader {
  const root = base.endsWith('/') ? base : `${base}/`;
  return {
    describe: base,
    async read(key, max) {
      const url = new URL(key, root);
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      } catch (err) {
        throw new ExportError('SOURCE', `${url}: ${(err as Error).message}`);
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return undefined;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new ExportError('SOURCE', `${url}: HTTP ${res.status}`);
      }
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > max) {
        await res.body?.cancel();
        throw new ExportError('SOURCE', `${url}: larger than ${max} bytes`);
      }
      return readCapped(res, max, url.href);
    },
  };
}

async function readCapped(res: Response, max: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel();
        throw new ExportError('SOURCE', `${what}: larger than ${max} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof ExportError) throw err;
    throw new ExportError('SOURCE', `${what}: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks);
}

// Worker thread of the prepare pool: decodes and parses a webhook body, and prepares (classifies,
// signs) its items, answering in chunks so the main thread publishes while it works.
import { parentPort, workerData } from 'node:worker_threads';
import { ResourceFilter } from '../../packages/change/index.js';
import { selectCrypto } from '../../packages/runtime/index.js';
import { parseSkey } from '../../packages/tlog/index.js';
import type { AuditItem } from './audit-input.js';
import { bodyItems, FORMAT_SOURCE } from './body-format.js';
import { CollectorError } from './errors.js';
import { type PrepareContext, type PreparedItem, prepareItem } from './prepare.js';
import type { PrepareReply, PrepareRequest, PrepareWorkerInit } from './prepare-messages.js';
import { encodePrepared } from './prepared-codec.js';

// Before any key is used: this process, and each worker thread, chooses its own crypto provider.
selectCrypto();

const init = workerData as PrepareWorkerInit;
const key = parseSkey(init.skey);
const resources = new ResourceFilter(init.resources);
const port = parentPort;

function reply(r: PrepareReply): void {
  port?.postMessage(r, 'chunk' in r ? [r.chunk] : []);
}

port?.on('message', (req: PrepareRequest) => {
  const { id } = req;
  let items: AuditItem[];
  try {
    items = bodyItems(req.format, new Uint8Array(req.body, 0, req.length), init.maxBodyBytes);
  } catch (err) {
    const code =
      err instanceof CollectorError && (err.code === 'BAD_REQUEST' || err.code === 'TOO_LARGE')
        ? err.code
        : 'INTERNAL';
    reply({ id, error: { code, message: (err as Error).message } });
    return;
  }
  if (items.length > init.maxItems) {
    const message = `${items.length} items in one request; at most ${init.maxItems} (max-batch-items)`;
    reply({ id, error: { code: 'BAD_REQUEST', message } });
    return;
  }
  const ctx: PrepareContext = {
    cluster: init.cluster,
    key,
    resources,
    source: FORMAT_SOURCE[req.format],
    observedAt: req.observedAt,
  };
  try {
    // At least one answer, so an empty EventList ends too.
    let at = 0;
    let rejected = 0;
    do {
      const end = Math.min(items.length, at + init.chunkItems);
      const prepared: PreparedItem[] = [];
      for (let i = at; i < end; i++) {
        const p = prepareItem(items[i] as AuditItem, ctx);
        if (p.kind === 'rejected') rejected++;
        prepared.push(p);
      }
      // Refused before this chunk goes out: at most maxRejected rejections of one body are stored.
      if (rejected > init.maxRejected) {
        const message =
          `more than ${init.maxRejected} of ${items.length} items are not valid audit events ` +
          `(max-rejected-items); the first ${Math.min(at, items.length)} items were handled`;
        reply({ id, error: { code: 'BAD_REQUEST', message } });
        return;
      }
      const { buffer, length } = encodePrepared(prepared);
      reply({
        id,
        ...(at === 0 ? { items: items.length } : {}),
        chunk: buffer,
        length,
        done: end >= items.length,
      });
      at = end;
    } while (at < items.length);
  } catch (err) {
    reply({ id, error: { code: 'INTERNAL', message: (err as Error).message } });
  }
});

port?.postMessage('ready');

// The ledger's continuous export (setting export-to, docs/configuration.md): the same export step as
// `ingress-ledger export`, run in the ledger process from its own published state. It never
// blocks ingest: it runs between ingest's batches on the same event loop, reads only what the
// published checkpoint covers, and writes asynchronously; a failure is logged, counted and retried
// with backoff, and ingest goes on. A conflict (the target holds other bytes than the log) is
// logged at error level and counted in ingress_ledger_export_conflicts_total, which an alert watches.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  checkpointCheck,
  ExportError,
  ExportMetrics,
  exportStep,
  follow,
  type LayoutWriter,
  type Location,
  type ObjectLock,
  openLayout,
} from '../../packages/export/index.js';
import type { PublicKey } from '../../packages/tlog/index.js';
import type { PublishedCheckpoint } from './checkpointer.js';
import { storeLayout } from './export-source.js';
import type { LogStore } from './store.js';
import type { TileReader } from './tile-reader.js';

/** Published checkpoints kept as checkpoints/<size> per step, beside the newest. */
export const MAX_CHECKPOINTS_PER_STEP = 1000;

export interface ContinuousExportOptions {
  store: LogStore;
  /** The read path's tile reader, and the published checkpoint it may show. */
  tiles: TileReader;
  published: () => PublishedCheckpoint | undefined;
  to: Location;
  objectLock?: ObjectLock;
  intervalMs: number;
  /** The log's own key: what its published checkpoints are checked against before export. */
  logVkey: PublicKey;
  logger: Logger;
  registry: Registry;
}

export interface ContinuousExport {
  stop(): Promise<void>;
}

export function startContinuousExport(o: ContinuousExportOptions): ContinuousExport {
  const metrics = new ExportMetrics(o.registry);
  const target: LayoutWriter = openLayout(
    o.to,
    'write',
    o.objectLock === undefined ? {} : { objectLock: o.objectLock },
  );
  const source = storeLayout(o.tiles, o.published);
  const check = checkpointCheck({ vkey: o.logVkey });
  const log = o.logger.child({ part: 'export', to: target.describe });
  const stop = new AbortController();
  let exported = 0n;
  const step = async () => {
    const published = o.published()?.size ?? 0n;
    metrics.behind(exported, published);
    const r = await exportStep({
      source,
      target,
      check,
      between: (from, to) => o.store.publishedBetween(from, to, MAX_CHECKPOINTS_PER_STEP),
      events: { object: (kind, outcome) => metrics.object(kind, outcome) },
    });
    exported = r.to;
    const now = o.published()?.size ?? r.sourceSize;
    metrics.step({ ...r, sourceSize: now });
    if (r.to > r.from) log.info({ from: String(r.from), to: String(r.to) }, 'exported');
    return r;
  };
  const running = follow(step, {
    intervalMs: o.intervalMs,
    signal: stop.signal,
    onError: (err, retryInMs) => {
      metrics.error(err);
      const code = err instanceof ExportError ? err.code : 'ERROR';
      const fields = { code, err: (err as Error).message, retryInMs };
      if (code === 'CONFLICT' || code === 'VERIFY_FAILED')
        log.error(
          fields,
          'EXPORT REFUSED: the export target does not hold what the log says (possible tampering)',
        );
      else log.warn(fields, 'export failed; retrying');
    },
  });
  log.info('continuous export started');
  return {
    async stop() {
      stop.abort();
      await running;
      target.close?.();
    },
  };
}

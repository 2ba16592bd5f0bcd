// The collector's Prometheus metrics. Labels are closed sets (source, reason, code), never input.
import { Counter, Histogram, type Registry } from '../../packages/runtime/index.js';

export interface CollectorMetrics {
  received: Counter<'source'>;
  skipped: Counter<'source' | 'reason'>;
  published: Counter<'source'>;
  duplicates: Counter<'source'>;
  foreignDuplicates: Counter<'source' | 'stream'>;
  rejected: Counter<'source' | 'code'>;
  failed: Counter<'source'>;
  webhookRequests: Counter<'code'>;
  webhookLatency: Histogram<'code'>;
}

/** The collector's metrics in registry; a second collector on the same registry shares them. */
export function collectorMetrics(registry: Registry): CollectorMetrics {
  const existing = registry.getSingleMetric('ingress_ledger_collector_events_received_total');
  if (existing !== undefined) return sharedMetrics.get(registry) ?? newMetrics(registry);
  const m = newMetrics(registry);
  sharedMetrics.set(registry, m);
  return m;
}

const sharedMetrics = new WeakMap<Registry, CollectorMetrics>();

function newMetrics(registry: Registry): CollectorMetrics {
  const registers = [registry];
  return {
    received: new Counter({
      name: 'ingress_ledger_collector_events_received_total',
      help: 'Audit events received, by source',
      labelNames: ['source'],
      registers,
    }),
    skipped: new Counter({
      name: 'ingress_ledger_collector_events_skipped_total',
      help: 'Audit events that are not recorded changes, by reason',
      labelNames: ['source', 'reason'],
      registers,
    }),
    published: new Counter({
      name: 'ingress_ledger_collector_changes_published_total',
      help: 'Signed changes acknowledged by JetStream',
      labelNames: ['source'],
      registers,
    }),
    duplicates: new Counter({
      name: 'ingress_ledger_collector_changes_duplicate_total',
      help: 'Changes JetStream already held (same cluster/auditID within the duplicate window)',
      labelNames: ['source'],
      registers,
    }),
    foreignDuplicates: new Counter({
      name: 'ingress_ledger_collector_foreign_duplicates_total',
      help: "Duplicate PubAcks whose stored message was not the collector's own (answered 503)",
      labelNames: ['source', 'stream'],
      registers,
    }),
    rejected: new Counter({
      name: 'ingress_ledger_collector_events_rejected_total',
      help: 'Malformed items sent to INGRESS_REJECTED, by error code',
      labelNames: ['source', 'code'],
      registers,
    }),
    failed: new Counter({
      name: 'ingress_ledger_collector_publish_failures_total',
      help: 'Batches that could not be durably published (answered 503 or retried)',
      labelNames: ['source'],
      registers,
    }),
    webhookRequests: new Counter({
      name: 'ingress_ledger_collector_webhook_requests_total',
      help: 'Webhook requests by HTTP status',
      labelNames: ['code'],
      registers,
    }),
    webhookLatency: new Histogram({
      name: 'ingress_ledger_collector_webhook_duration_seconds',
      help: 'Webhook request duration, from request to answer',
      labelNames: ['code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}

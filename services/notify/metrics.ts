// The notify service's Prometheus metrics, labelled by output (a closed set: outputs.ts's names).
import { Counter, Gauge, Histogram, type Registry } from '../../packages/runtime/index.js';

export interface NotifyMetrics {
  sent: Counter<'output'>;
  failed: Counter<'output'>;
  retried: Counter<'output'>;
  deadLettered: Counter<'output'>;
  filtered: Counter<'output'>;
  malformed: Counter<'output'>;
  latency: Histogram<'output'>;
  /** The changes feed (feed/changes-feed.ts) of the outputs that stream every change. */
  changesSent: Counter<'output'>;
  changesFailed: Counter<'output'>;
  changesMalformed: Counter<'output'>;
  changesLag: Gauge<'output'>;
}

const shared = new WeakMap<Registry, NotifyMetrics>();

/** The metrics in `registry`; a second notify on the same registry (tests, a restart) shares them. */
export function notifyMetrics(registry: Registry): NotifyMetrics {
  let m = shared.get(registry);
  if (m === undefined) {
    m = newMetrics(registry);
    shared.set(registry, m);
  }
  return m;
}

function newMetrics(registry: Registry): NotifyMetrics {
  const registers = [registry];
  const labelNames = ['output'] as const;
  return {
    sent: new Counter({
      name: 'ingress_ledger_notify_sent_total',
      help: 'Alerts an output delivered (the receiver took them)',
      labelNames,
      registers,
    }),
    failed: new Counter({
      name: 'ingress_ledger_notify_failed_total',
      help: 'Delivery attempts that failed (each attempt counts)',
      labelNames,
      registers,
    }),
    retried: new Counter({
      name: 'ingress_ledger_notify_retried_total',
      help: 'Failed deliveries put back for a later attempt',
      labelNames,
      registers,
    }),
    deadLettered: new Counter({
      name: 'ingress_ledger_notify_dead_lettered_total',
      help: 'Alerts an output gave up on, kept in INGRESS_ALERTS_DEAD',
      labelNames,
      registers,
    }),
    filtered: new Counter({
      name: 'ingress_ledger_notify_filtered_total',
      help: "Alerts an output's filters left out",
      labelNames,
      registers,
    }),
    malformed: new Counter({
      name: 'ingress_ledger_notify_malformed_total',
      help: 'Messages of INGRESS_ALERTS that are not alerts (dead-lettered at once)',
      labelNames,
      registers,
    }),
    latency: new Histogram({
      name: 'ingress_ledger_notify_delivery_seconds',
      help: 'Time of a successful delivery attempt',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    changesSent: new Counter({
      name: 'ingress_ledger_notify_changes_sent_total',
      help: 'Log entries the changes feed delivered to an output',
      labelNames,
      registers,
    }),
    changesFailed: new Counter({
      name: 'ingress_ledger_notify_changes_failed_total',
      help: 'Changes feed batches an output failed to take (each attempt counts)',
      labelNames,
      registers,
    }),
    changesMalformed: new Counter({
      name: 'ingress_ledger_notify_changes_malformed_total',
      help: 'Log entries the changes feed skipped because their leaf is not a change',
      labelNames,
      registers,
    }),
    changesLag: new Gauge({
      name: 'ingress_ledger_notify_changes_lag_entries',
      help: 'Entries of the published log the changes feed has not yet delivered to an output',
      labelNames,
      registers,
    }),
  };
}

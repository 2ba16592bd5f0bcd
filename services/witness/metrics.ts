// Prometheus metrics of a witness. Labels are bounded: statuses, and origins of configured logs.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface WitnessMetrics {
  requests: Counter<'status'>;
  latency: Histogram<'status'>;
  size: Gauge<'origin'>;
}

export function witnessMetrics(registry: Registry): WitnessMetrics {
  return {
    requests: new Counter({
      name: 'ingress_ledger_witness_add_checkpoint_requests_total',
      help: 'add-checkpoint requests by HTTP status',
      labelNames: ['status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'ingress_ledger_witness_add_checkpoint_seconds',
      help: 'add-checkpoint handling time, body read to answer',
      labelNames: ['status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    size: new Gauge({
      name: 'ingress_ledger_witness_cosigned_tree_size',
      help: 'latest cosigned tree size per origin',
      labelNames: ['origin'],
      registers: [registry],
    }),
  };
}

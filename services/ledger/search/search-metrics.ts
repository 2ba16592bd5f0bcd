// The search index's Prometheus metrics, registered on the ledger's registry.
import { Counter, Histogram, type Registry } from 'prom-client';

export interface SearchMetrics {
  findings: Counter<'rule'>;
  ruleFailures: Counter<'rule'>;
  indexFailures: Counter;
  queries: Histogram<'method'>;
}

export function searchMetrics(registry: Registry | undefined): SearchMetrics | undefined {
  if (registry === undefined) return undefined;
  const registers = [registry];
  return {
    findings: new Counter({
      name: 'ingress_ledger_risk_findings_total',
      help: 'Risk findings by rule',
      labelNames: ['rule'],
      registers,
    }),
    ruleFailures: new Counter({
      name: 'ingress_ledger_risk_rule_failures_total',
      help: 'Risk rule evaluations that threw (the entry was still logged)',
      labelNames: ['rule'],
      registers,
    }),
    indexFailures: new Counter({
      name: 'ingress_ledger_search_index_failures_total',
      help: 'Entries whose search rows could not be derived (the entry was still logged)',
      registers,
    }),
    queries: new Histogram({
      name: 'ingress_ledger_search_query_seconds',
      help: 'SearchEntries and GetObjectHistory latency',
      labelNames: ['method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
  };
}

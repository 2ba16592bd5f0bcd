// Every Prometheus metric of the ledger process is defined here, and only here: names, help and
// labels (docs/monitoring.md lists them; test/metric-names.test.ts checks the names). Parts take
// the group they update; a part that may be built twice on one registry gets the first's metrics.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface LedgerMetrics {
  appended: Counter;
  batchSize: Histogram;
  rejected: Counter<'reason'>;
  duplicates: Counter;
  treeSize: Gauge;
  publishedSize: Gauge;
  checkpointAge: Gauge;
  rpcSeconds: Histogram<'method' | 'code'>;
  commitSeconds: Histogram;
  /** Where an entry's time goes on its way from JetStream to a published checkpoint (docs/performance.md). */
  stageSeconds: Histogram<'stage'>;
  backlogCommits: Counter;
  witnessQuorumOk: Gauge;
  integrityOk: Gauge;
  ingestPending: Gauge;
  lastEventTimestamp: Gauge<'cluster'>;
  httpRequests: Counter<'route' | 'code'>;
  tileRequests: Counter<'kind' | 'code'>;
}

export function ledgerMetrics(registry: Registry, checkpointAgeSeconds: () => number): LedgerMetrics {
  const registers = [registry];
  return {
    appended: new Counter({
      name: 'ingress_ledger_ledger_appended_total',
      help: 'Entries appended',
      registers,
    }),
    batchSize: new Histogram({
      name: 'ingress_ledger_ledger_batch_size',
      help: 'Messages per ingest batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers,
    }),
    rejected: new Counter({
      name: 'ingress_ledger_ledger_rejected_total',
      help: 'Messages sent to INGRESS_REJECTED, by reason code',
      labelNames: ['reason'],
      registers,
    }),
    duplicates: new Counter({
      name: 'ingress_ledger_ledger_duplicates_total',
      help: 'Messages whose identity was already in the log',
      registers,
    }),
    treeSize: new Gauge({ name: 'ingress_ledger_ledger_tree_size', help: 'Committed tree size', registers }),
    publishedSize: new Gauge({
      name: 'ingress_ledger_ledger_published_tree_size',
      help: 'Tree size of the latest published checkpoint',
      registers,
    }),
    checkpointAge: new Gauge({
      name: 'ingress_ledger_ledger_checkpoint_age_seconds',
      help: 'Seconds since the latest checkpoint was published',
      registers,
      collect() {
        this.set(checkpointAgeSeconds());
      },
    }),
    rpcSeconds: new Histogram({
      name: 'ingress_ledger_ledger_rpc_duration_seconds',
      help: 'gRPC call latency by method and status code',
      labelNames: ['method', 'code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    stageSeconds: new Histogram({
      name: 'ingress_ledger_ledger_stage_seconds',
      help:
        'Time spent per pipeline stage: queue (stored in JetStream until delivered), batch (waiting for the batch to be cut), ' +
        'verify, order (verified, waiting for earlier batches to commit), append, checkpoint (committed until signed), ' +
        'witness (cosigning), publish, index (committed until searchable)',
      labelNames: ['stage'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    commitSeconds: new Histogram({
      name: 'ingress_ledger_ledger_commit_seconds',
      help: 'Duration of one append transaction',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    backlogCommits: new Counter({
      name: 'ingress_ledger_ledger_backlog_commits_total',
      help: 'Append transactions made while draining a backlog (a full batch, or more queued behind it)',
      registers,
    }),
    witnessQuorumOk: new Gauge({
      name: 'ingress_ledger_ledger_witness_quorum_ok',
      help: "1 when the last cosigning round met the witness policy's quorum (always 1 without witnesses), else 0",
      registers,
    }),
    integrityOk: new Gauge({
      name: 'ingress_ledger_ledger_integrity_ok',
      help: '0 once the ledger found its store inconsistent with a checkpoint it signed (corruption or rollback): it publishes no checkpoint until an operator acts; else 1',
      registers,
    }),
    ingestPending: new Gauge({
      name: 'ingress_ledger_ledger_ingest_pending_messages',
      help: 'Messages of INGRESS_CHANGES not yet delivered to the ledger consumer (sampled every few seconds)',
      registers,
    }),
    // Labelled only by clusters whose collector key verified an entry: a closed set.
    lastEventTimestamp: new Gauge({
      name: 'ingress_ledger_ledger_last_event_timestamp_seconds',
      help: 'stageTimestamp of the newest entry appended per cluster, in seconds since the epoch',
      labelNames: ['cluster'],
      registers,
    }),
    httpRequests: new Counter({
      name: 'ingress_ledger_ledger_http_requests_total',
      help: 'Requests to the read HTTP listener, by route (tiles, or none) and status code',
      labelNames: ['route', 'code'],
      registers,
    }),
    tileRequests: new Counter({
      name: 'ingress_ledger_ledger_tile_requests_total',
      help: 'Static tlog-tiles requests by kind (checkpoint, tile, entries, body, other) and status code',
      labelNames: ['kind', 'code'],
      registers,
    }),
  };
}

/**
 * The time the ledger's writes waited for the search follower's transactions, read from the write
 * gate (write-gate.ts) when scraped. Registered only when search is on.
 */
export function writeGateMetric(registry: Registry, waitedMs: () => number): Counter {
  let reported = 0;
  return new Counter({
    name: 'ingress_ledger_ledger_write_gate_wait_seconds_total',
    help: 'Time appends and checkpoints waited for a search follower transaction to commit',
    registers: [registry],
    collect() {
      const total = waitedMs() / 1000;
      this.inc(total - reported);
      reported = total;
    },
  });
}

/** The search follower's lag, read from `lagEntries` when scraped. */
export function searchLagMetric(registry: Registry, lagEntries: () => number): Gauge {
  return new Gauge({
    name: 'ingress_ledger_ledger_search_index_lag_entries',
    help: 'Log entries not yet in the search index (log size minus indexed)',
    registers: [registry],
    collect() {
      this.set(lagEntries());
    },
  });
}

export interface SearchMetrics {
  findings: Counter<'rule'>;
  ruleFailures: Counter<'rule'>;
  indexFailures: Counter;
  queries: Histogram<'method'>;
}

/**
 * The search index's metrics. The follower's worker thread registers them on its own registry and
 * forwards the counters' increments to the main thread's metrics of the same names.
 */
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

export interface WitnessMetrics {
  latency: Histogram<'witness'>;
  failures: Counter<'witness' | 'reason'>;
  quorumMissed: Counter;
  /** 1 per witness and kind of evidence while that witness's latest answer was that evidence. */
  evidence: Gauge<'witness' | 'kind'>;
}

/** The registry's metric of this name when one is registered (a second cosigner), else a new one. */
function registered<T>(registry: Registry | undefined, name: string, make: (registers: Registry[]) => T): T {
  const existing = registry?.getSingleMetric(name);
  return (existing as T | undefined) ?? make(registry === undefined ? [] : [registry]);
}

/** The witness cosigner's metrics; without a registry they count for no one. */
export function witnessMetrics(registry: Registry | undefined): WitnessMetrics {
  return {
    latency: registered(
      registry,
      'ingress_ledger_ledger_witness_cosign_seconds',
      (registers) =>
        new Histogram({
          name: 'ingress_ledger_ledger_witness_cosign_seconds',
          help: 'time for one witness to cosign a checkpoint (including a 409 retry)',
          labelNames: ['witness'],
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
          registers,
        }),
    ),
    failures: registered(
      registry,
      'ingress_ledger_ledger_witness_cosign_failures_total',
      (registers) =>
        new Counter({
          name: 'ingress_ledger_ledger_witness_cosign_failures_total',
          help: 'checkpoints a witness did not cosign, by reason (HTTP refusal, timeout, bad cosignature)',
          labelNames: ['witness', 'reason'],
          registers,
        }),
    ),
    quorumMissed: registered(
      registry,
      'ingress_ledger_ledger_witness_quorum_missed_total',
      (registers) =>
        new Counter({
          name: 'ingress_ledger_ledger_witness_quorum_missed_total',
          help: 'checkpoints that did not gather the quorum of the witness policy',
          registers,
        }),
    ),
    evidence: registered(
      registry,
      'ingress_ledger_ledger_witness_evidence',
      (registers) =>
        new Gauge({
          name: 'ingress_ledger_ledger_witness_evidence',
          help: "1 while a witness's latest answer was evidence against this log (kind: rollback, fork, bad_proof), until it cosigns again; else 0",
          labelNames: ['witness', 'kind'],
          registers,
        }),
    ),
  };
}

export interface AlertRelayMetrics {
  published: Counter<'rule'>;
  publishFailures: Counter;
}

/** The alert relay's metrics (alert-relay.ts); its lag is a gauge read when scraped. */
export function alertRelayMetrics(registry: Registry, lagEntries: () => number): AlertRelayMetrics {
  new Gauge({
    name: 'ingress_ledger_ledger_alerts_lag_entries',
    help: 'Indexed entries inside the published checkpoint whose alerts are not yet stored in INGRESS_ALERTS',
    registers: [registry],
    collect() {
      this.set(lagEntries());
    },
  });
  return {
    published: new Counter({
      name: 'ingress_ledger_ledger_alerts_published_total',
      help: 'Alerts the INGRESS_ALERTS stream acknowledged, by rule (a republished duplicate counts again)',
      labelNames: ['rule'],
      registers: [registry],
    }),
    publishFailures: new Counter({
      name: 'ingress_ledger_ledger_alerts_publish_failures_total',
      help: 'Alert publications that got no PubAck and are retried',
      registers: [registry],
    }),
  };
}

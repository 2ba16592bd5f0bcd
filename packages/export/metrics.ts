// The export's metrics, the same in the ledger (its continuous export) and in `ingress-ledger
// export --metrics-listen`. A conflict is the tampering the export exists to catch: it has its own
// counter, and an alert (deploy/kubernetes/base/monitoring/prometheus-rule.yaml).
import { Counter, Gauge, type Registry } from 'prom-client';
import { ExportError } from './errors.js';
import type { ObjectKind, StepResult } from './exporter.js';
import type { PutOutcome } from './layout-io.js';

/** Sizes remembered for the lag while the export is stuck (one per step at most). */
const MAX_TRACKED_SIZES = 10_000;

export class ExportMetrics {
  readonly objects: Counter<'kind' | 'outcome'>;
  readonly conflicts: Counter;
  readonly errors: Counter<'code'>;
  readonly exportedSize: Gauge;
  readonly lagEntries: Gauge;
  readonly lagSeconds: Gauge;
  /** When the source was first seen ahead of the export (0: not behind). */
  /** Published sizes the export has not reached, each with when it was first seen, oldest first. */
  readonly #unexported: { size: bigint; at: number }[] = [];

  constructor(registry: Registry) {
    const registers = [registry];
    this.objects = new Counter({
      name: 'ingress_ledger_export_objects_total',
      help: 'Immutable objects the export wrote (outcome written) or found already there with the same bytes (same)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.conflicts = new Counter({
      name: 'ingress_ledger_export_conflicts_total',
      help: 'Export steps refused because the target holds an object with other bytes than the log (tampering)',
      registers,
    });
    this.errors = new Counter({
      name: 'ingress_ledger_export_errors_total',
      help: 'Export steps that failed, by error code (VERIFY_FAILED, CONFLICT, SOURCE, TARGET)',
      labelNames: ['code'],
      registers,
    });
    this.exportedSize = new Gauge({
      name: 'ingress_ledger_export_tree_size',
      help: 'Tree size of the checkpoint the export target holds',
      registers,
    });
    this.lagEntries = new Gauge({
      name: 'ingress_ledger_export_lag_entries',
      help: 'Entries the published checkpoint holds that the export does not yet',
      registers,
    });
    this.lagSeconds = new Gauge({
      name: 'ingress_ledger_export_lag_seconds',
      help: 'Seconds since the oldest published tree size the export has not reached was first seen (0 when caught up)',
      registers,
    });
  }

  object(kind: ObjectKind, outcome: PutOutcome): void {
    this.objects.inc({ kind, outcome });
  }

  step(r: StepResult, now = Date.now()): void {
    this.exportedSize.set(Number(r.to));
    this.behind(r.to, r.sourceSize, now);
  }

  /**
   * Records the exported and the published size. The lag in seconds is the age of the oldest
   * published size the export has not reached: under a steady load a new checkpoint is always
   * ahead, so "behind since" would grow forever while the export keeps up.
   */
  behind(exported: bigint, published: bigint, now = Date.now()): void {
    this.lagEntries.set(Number(published > exported ? published - exported : 0n));
    const newest = this.#unexported.at(-1);
    if (published > exported && (newest === undefined || published > newest.size)) {
      if (this.#unexported.length < MAX_TRACKED_SIZES) this.#unexported.push({ size: published, at: now });
    }
    while ((this.#unexported[0]?.size ?? Number.POSITIVE_INFINITY) <= exported) this.#unexported.shift();
    const oldest = this.#unexported[0];
    this.lagSeconds.set(oldest === undefined ? 0 : (now - oldest.at) / 1000);
  }

  error(err: unknown): void {
    const code = err instanceof ExportError ? err.code : 'ERROR';
    this.errors.inc({ code });
    if (code === 'CONFLICT') this.conflicts.inc();
  }
}

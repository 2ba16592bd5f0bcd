// What the witnesses say against this log: the evidence alarm. A witness keeps its own state, so
// when it answers that it cosigned a larger tree (`rollback`), the same size with another root
// (`fork`), or a tree our consistency proof does not reach (`bad_proof`), it says something about
// this log that no check of our own store can: the store may have been rolled back or replaced.
//
// Obligations:
// - `record` takes each witness's latest result. An evidence failure marks that witness as
//   reporting that kind: ingress_ledger_ledger_witness_evidence{witness,kind} is 1 for it (0 for
//   the other kinds), and one error line is logged when the witness's state changes, not at every
//   round. A cosignature clears it (gauge 0, one info line). Any other failure (timeout,
//   unreachable, a refusal) says nothing about this log's history and changes nothing.
// - `check` (readiness `witness-evidence`) fails only when the asked witnesses that report no
//   evidence cannot meet the policy's quorum: then no checkpoint can be published again until an
//   operator acts. A minority reporting evidence leaves readiness up: one witness must not be able
//   to take a 2-of-3 log's reads down (the gauge, the log line and the alert say it instead).
// - It never throws into a round and never changes what is published (cosigning.ts).
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import { type Policy, quorumMet } from '../../packages/tlog/index.js';
import type { WitnessResult } from './witness-protocol.js';

/** The failures of witness-protocol.ts that are evidence against the log, not a witness problem. */
export const EVIDENCE_KINDS = ['rollback', 'fork', 'bad_proof'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export function evidenceKind(failure: string): EvidenceKind | undefined {
  return (EVIDENCE_KINDS as readonly string[]).includes(failure) ? (failure as EvidenceKind) : undefined;
}

/** One witness's evidence: what it said, about a checkpoint of which size. */
export interface Evidence {
  kind: EvidenceKind;
  reason: string;
  /** The size of our checkpoint it answered about. */
  size: bigint;
}

export class WitnessEvidence {
  readonly #reporting = new Map<string, Evidence>();

  constructor(
    readonly policy: Policy,
    /** The witnesses that are asked (those with a URL in the policy). */
    readonly asked: readonly string[],
    private readonly logger: Logger,
    private readonly gauge: Gauge<'witness' | 'kind'>,
  ) {
    // Every series exists from the start, so an alert on max(...) == 1 has something to read.
    for (const witness of asked) for (const kind of EVIDENCE_KINDS) gauge.set({ witness, kind }, 0);
  }

  /** The witnesses whose latest answer was evidence, by name. */
  get reporting(): ReadonlyMap<string, Evidence> {
    return this.#reporting;
  }

  record(witness: string, result: WitnessResult, size: bigint): void {
    const before = this.#reporting.get(witness);
    if ('cosignature' in result) {
      if (before === undefined) return;
      this.#reporting.delete(witness);
      this.gauge.set({ witness, kind: before.kind }, 0);
      this.logger.info(
        { witness, kind: before.kind, size: String(size) },
        `witness ${witness} cosigns this log again (size ${size}); its ${before.kind} evidence is cleared`,
      );
      return;
    }
    const kind = evidenceKind(result.failure);
    if (kind === undefined) return;
    this.#reporting.set(witness, { kind, reason: result.reason, size });
    if (before?.kind === kind) return;
    if (before !== undefined) this.gauge.set({ witness, kind: before.kind }, 0);
    this.gauge.set({ witness, kind }, 1);
    const quorumPossible = this.quorumPossible();
    this.logger.error(
      { witness, kind, size: String(size), reason: result.reason, quorumPossible },
      `witness ${witness} reports ${kind} against this log at our size ${size}: ${result.reason}` +
        (quorumPossible
          ? ''
          : '; the other witnesses cannot meet the quorum, so no checkpoint can be published'),
    );
  }

  /** Whether the asked witnesses that report no evidence can still meet the policy's quorum. */
  quorumPossible(): boolean {
    const others = new Set(this.asked.filter((w) => !this.#reporting.has(w)));
    return quorumMet(this.policy, others);
  }

  /** `w1 (rollback: …), w2 (fork: …)`: who said what (each reason names the sizes). */
  describe(): string {
    return [...this.#reporting].map(([w, e]) => `${w} (${e.kind}: ${e.reason})`).join(', ');
  }

  /** Readiness `witness-evidence`: see the obligations above. */
  check(): string | undefined {
    if (this.#reporting.size === 0 || this.quorumPossible()) return undefined;
    return `witnesses report evidence against this log and the others cannot meet the quorum; nothing can be published until an operator acts (docs/operations.md): ${this.describe()}`;
  }
}

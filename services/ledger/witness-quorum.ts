// The quorum of a witness policy over one checkpoint: every witness is asked at once, the
// cosignatures of those that cosigned are merged into the note, and the note is published only
// when they meet the policy's quorum. No I/O of its own: each witness is a WitnessExchange
// (witness-protocol.ts) or anything with the same addCheckpoint.
//
// Obligations:
// - `cosignWithQuorum` resolves to the note with every cosignature gathered this round merged,
//   when the witnesses that cosigned meet the policy's quorum, else to undefined. It never rejects
//   because a witness failed, refused, timed out or threw (cosigning.ts).
// - Every witness that did not cosign is logged with its failure and reason, and counted in
//   ingress_ledger_ledger_witness_cosign_failures_total{witness,reason}; a missed quorum is logged
//   and counted once.
// - Every witness's result goes to the evidence alarm (witness-evidence.ts) when the round has one:
//   it raises or clears the alarm, and never changes what this resolves to.
import type { Logger } from 'pino';
import {
  formatNote,
  mergeSignatures,
  type Note,
  type Policy,
  parseNote,
  quorumMet,
} from '../../packages/tlog/index.js';
import type { WitnessMetrics } from './metrics.js';
import type { WitnessEvidence } from './witness-evidence.js';
import type { WitnessResult } from './witness-protocol.js';

/** One witness as the quorum sees it. */
export interface QuorumWitness {
  /** The witness's name in the policy. */
  readonly name: string;
  /** Where it is asked, for the log. */
  readonly url: string;
  addCheckpoint(
    note: Note,
    noteText: string,
    size: bigint,
    proof: (from: bigint) => Uint8Array[],
  ): Promise<WitnessResult>;
}

export interface QuorumRound {
  policy: Policy;
  witnesses: readonly QuorumWitness[];
  logger: Logger;
  metrics: WitnessMetrics;
  evidence?: Pick<WitnessEvidence, 'record'>;
}

export async function cosignWithQuorum(
  r: QuorumRound,
  note: string,
  size: bigint,
  proof: (from: bigint) => Uint8Array[],
): Promise<string | undefined> {
  const { policy, logger, metrics } = r;
  const parsed = parseNote(note);
  const results = await Promise.all(
    r.witnesses.map(async (w) => {
      const stop = metrics.latency.startTimer({ witness: w.name });
      const result = await w.addCheckpoint(parsed, note, size, proof).catch(
        (err: unknown): WitnessResult => ({
          failure: 'internal',
          reason: `unexpected: ${(err as Error).message}`,
        }),
      );
      r.evidence?.record(w.name, result, size);
      if ('cosignature' in result) stop();
      else {
        metrics.failures.inc({ witness: w.name, reason: result.failure });
        logger.warn(
          { witness: w.name, url: w.url, size: String(size), failure: result.failure, reason: result.reason },
          `witness ${w.name} did not cosign size ${size}: ${result.reason}`,
        );
      }
      return [w.name, result] as const;
    }),
  );
  const cosigned = new Set<string>();
  const lines: string[] = [];
  for (const [name, result] of results) {
    if ('cosignature' in result) {
      cosigned.add(name);
      lines.push(result.cosignature);
    }
  }
  if (!quorumMet(policy, cosigned)) {
    metrics.quorumMissed.inc();
    logger.warn(
      { size: String(size), cosigned: [...cosigned], quorum: policy.quorum },
      `checkpoint of size ${size} missed the witness quorum (${cosigned.size} cosigned); not published`,
    );
    return undefined;
  }
  return formatNote(mergeSignatures(parsed, lines));
}

// Asks the witnesses of a C2SP tlog-policy to cosign each checkpoint (tlog-witness v1.0.0) and
// merges their cosignatures once the policy's quorum is met (the CheckpointCosigner of
// cosigning.ts). It composes the HTTP poster (witness-http.ts), one protocol exchange per witness
// (witness-protocol.ts), the quorum over them (witness-quorum.ts), the evidence alarm fed by every
// answer (witness-evidence.ts) and the start-up check over the same exchanges
// (witness-start-check.ts).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type Policy, QUORUM_NONE } from '../../packages/tlog/index.js';
import type { CheckpointCosigner } from './cosigning.js';
import { witnessMetrics } from './metrics.js';
import { WitnessEvidence } from './witness-evidence.js';
import { createWitnessPoster } from './witness-http.js';
import { WitnessExchange } from './witness-protocol.js';
import { cosignWithQuorum, type QuorumRound } from './witness-quorum.js';
import { checkWitnessesAtStart, type StartState } from './witness-start-check.js';

export { MAX_WITNESS_RESPONSE_BYTES } from './witness-http.js';

export interface WitnessCosignerOptions {
  policy: Policy;
  logger: Logger;
  registry?: Registry;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

/** The cosigner with what the ledger's start and readiness need of the witnesses. */
export interface WitnessCosigner extends CheckpointCosigner {
  /**
   * The start-up check (witness-start-check.ts): resolves to why the ledger must not start, or
   * undefined; within the witness timeout. Call it once, before the first cosign. With quorum
   * none or no witness URLs it asks nothing.
   */
  checkAtStart(state: StartState): Promise<string | undefined>;
  /** Readiness `witness-evidence` (witness-evidence.ts). */
  evidenceCheck(): string | undefined;
}

/** A witness that has not answered within this many milliseconds has not cosigned this time. */
export const DEFAULT_WITNESS_TIMEOUT_MS = 5_000;

/** Throws TlogError('BAD_POLICY') for a witness URL that is not http(s). */
export function createWitnessCosigner(opts: WitnessCosignerOptions): WitnessCosigner {
  const { policy, logger } = opts;
  const poster = createWitnessPoster(opts.timeoutMs ?? DEFAULT_WITNESS_TIMEOUT_MS);
  const witnesses: WitnessExchange[] = [];
  for (const w of policy.witnesses) {
    if (w.url === undefined) {
      logger.warn({ witness: w.name }, 'witness has no URL in the policy; it is never asked');
      continue;
    }
    witnesses.push(
      new WitnessExchange(w.name, w.url.replace(/\/+$/, ''), w.vkey, poster.post, (old, latest) =>
        logger.debug(
          { witness: w.name, old: String(old), latest: String(latest) },
          'witness has another size; retrying',
        ),
      ),
    );
  }
  const metrics = witnessMetrics(opts.registry);
  const evidence = new WitnessEvidence(
    policy,
    witnesses.map((w) => w.name),
    logger,
    metrics.evidence,
  );
  const round: QuorumRound = { policy, witnesses, logger, metrics, evidence };

  // One checkpoint at a time: each witness's `old` must follow the sizes in order.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    cosign(note, size, proof) {
      // quorum none: publish at once; no witness is waited for (or asked).
      if (policy.quorum === QUORUM_NONE) return Promise.resolve(note);
      const run = queue.then(() => cosignWithQuorum(round, note, size, proof));
      queue = run.catch(() => undefined);
      return run;
    },
    checkAtStart(state) {
      if (policy.quorum === QUORUM_NONE) return Promise.resolve(undefined);
      const run = queue.then(() => checkWitnessesAtStart(witnesses, evidence, state, logger));
      queue = run.catch(() => undefined);
      return run;
    },
    evidenceCheck: () => evidence.check(),
    async close() {
      await queue;
      poster.close();
    },
  };
}

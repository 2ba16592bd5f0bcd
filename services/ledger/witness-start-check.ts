// The start-up check against the witnesses. The published-checkpoint mark (published-mark.ts)
// catches a store older than what this ledger published, but a rollback of the whole data dir
// (store and mark together, as when a disk or VM snapshot is restored) passes it: only the
// witnesses, which keep their own state, can tell. So before ingest starts, each witness with a
// URL is asked once, all at once, about the latest signed checkpoint (WitnessExchange.probe).
//
// Obligations:
// - Resolves within the witness timeout (one request per witness, in parallel), never rejects.
// - A witness that holds a size larger than the store's entries, or our size with another root,
//   is evidence, recorded in WitnessEvidence at once (gauge, error line, readiness).
// - It resolves to the reason to refuse the start when those witnesses leave too few others to
//   meet the quorum and the data dir holds the mark. Without the mark (an operator restoring a
//   backup on purpose moves it out, docs/operations.md, and then replays from JetStream), it
//   starts with the alarm raised. Otherwise it resolves to undefined.
// - A witness behind the store is normal: its size is adopted as its `old` by the probe. A size
//   the store holds but no signed checkpoint reaches (its row lost with the last unsynced commit)
//   is adopted too; the first round proves the new tree from it, or the witness says why not.
// - No answer, or a refusal that is not evidence, is a warning: every round asks again.
// - Nothing signed yet (a new or emptied data dir): nothing is asked; the first round is the check.
import type { Logger } from 'pino';
import { type Note, parseNote } from '../../packages/tlog/index.js';
import type { WitnessEvidence } from './witness-evidence.js';
import type { ProbeResult } from './witness-protocol.js';

/** One witness as the start-up check sees it (a WitnessExchange). */
export interface ProbedWitness {
  readonly name: string;
  readonly url: string;
  probe(note: Note, noteText: string, size: bigint): Promise<ProbeResult>;
}

/** What the check needs to know of the store. */
export interface StartState {
  /** The latest signed checkpoint, if any. */
  checkpoint: { size: bigint; note: string } | undefined;
  /** The entries the store holds (at least the checkpoint's size). */
  entries: bigint;
  /** Whether the data dir holds the published-checkpoint mark. */
  marked: boolean;
}

export async function checkWitnessesAtStart(
  witnesses: readonly ProbedWitness[],
  evidence: WitnessEvidence,
  state: StartState,
  logger: Logger,
): Promise<string | undefined> {
  const { checkpoint, entries } = state;
  if (checkpoint === undefined || witnesses.length === 0) return undefined;
  const { size, note } = checkpoint;
  const parsed = parseNote(note);
  await Promise.all(
    witnesses.map(async (w) => {
      const result = await w.probe(parsed, note, size).catch(
        (err: unknown): ProbeResult => ({
          failure: 'internal',
          reason: `unexpected: ${(err as Error).message}`,
        }),
      );
      if ('holds' in result) {
        if (result.holds <= entries) return;
        evidence.record(
          w.name,
          {
            failure: 'rollback',
            reason: `the witness cosigned size ${result.holds}; this store holds ${entries} entries`,
          },
          size,
        );
        return;
      }
      evidence.record(w.name, result, size);
      if ('failure' in result && !evidence.reporting.has(w.name)) {
        logger.warn(
          { witness: w.name, url: w.url, failure: result.failure, reason: result.reason },
          `witness ${w.name} could not confirm this store at start (${result.reason}); every checkpoint round asks again`,
        );
      }
    }),
  );
  if (evidence.reporting.size === 0 || evidence.quorumPossible()) return undefined;
  const said = evidence.describe();
  if (!state.marked) {
    logger.error(
      { size: String(size), entries: String(entries), evidence: said },
      'witnesses report that this store is not the log they cosigned, and the data dir has no published-checkpoint mark (a restore on purpose?): starting; nothing is published until the store has caught up with them',
    );
    return undefined;
  }
  return (
    `witnesses report that this store is not the log they cosigned: ${said}. ` +
    `This store holds ${entries} entries (latest signed checkpoint: size ${size}), and the witnesses that report nothing against it cannot meet the policy's quorum, so nothing appended here could ever be published. ` +
    'Was the data dir (store and published-checkpoint file together) restored from an older copy, such as a disk or VM snapshot? ' +
    'See docs/operations.md, "A data dir older than its witnesses".'
  );
}

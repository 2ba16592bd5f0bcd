// Runs verify-entry.ts over the entries on screen without freezing the page: entries are checked
// in small slices between frames, each result is written onto its element as soon as it is known
// (data-verification), and verdicts are cached by index and leaf so a refresh does not redo them.
import type { CheckpointJson, EntryJson } from '../entry-json.js';
import {
  type CheckpointVerdict,
  type Trust,
  type Verdict,
  verifyCheckpoint,
  verifyEntry,
} from '../verify-entry.js';

/** Entries verified per slice before the page gets a chance to paint and take input. */
const SLICE = 8;

export class Verifier {
  readonly #trust: Trust;
  readonly #checkpoints = new Map<string, CheckpointVerdict>();
  readonly #verdicts = new Map<string, Verdict>();

  constructor(trust: Trust) {
    this.#trust = trust;
  }

  checkpoint(c: CheckpointJson): CheckpointVerdict {
    let v = this.#checkpoints.get(c.note);
    if (v === undefined) {
      v = verifyCheckpoint(c, this.#trust);
      this.#checkpoints.set(c.note, v);
    }
    return v;
  }

  /** Verifies entries in slices, calling done(entry, verdict) for each. */
  run(
    c: CheckpointJson,
    entries: readonly EntryJson[],
    done: (e: EntryJson, v: Verdict) => void,
  ): Promise<void> {
    const cp = this.checkpoint(c);
    let i = 0;
    return new Promise((resolve) => {
      const step = () => {
        const end = Math.min(i + SLICE, entries.length);
        for (; i < end; i++) {
          const e = entries[i] as EntryJson;
          // A proof is against one checkpoint: the cache key names both.
          const key = `${e.index} ${e.leaf} ${c.size}`;
          let v = this.#verdicts.get(key);
          if (v === undefined) {
            v = verifyEntry(e, cp, this.#trust);
            this.#verdicts.set(key, v);
          }
          done(e, v);
        }
        if (i < entries.length) setTimeout(step, 0);
        else resolve();
      };
      setTimeout(step, 0);
    });
  }
}

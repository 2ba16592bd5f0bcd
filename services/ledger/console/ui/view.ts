// What the timeline and the history share: their context and the summary of verification results.
import type { CheckpointJson } from '../entry-json.js';
import type { Verdict } from '../verify-entry.js';
import { h } from './dom.js';
import type { Verifier } from './verifier.js';

export interface View {
  element: HTMLElement;
  ctx: {
    verifier: Verifier;
    navigate: (q: URLSearchParams) => void;
    showCheckpoint: (c: CheckpointJson) => void;
  };
  refresh(): Promise<void>;
  /** Whether new entries should refresh this view. */
  live: boolean;
}

/** "12 shown · 11 verified · 1 FAILED": the failure count in words, not only in colour. */
export function verificationSummary(total: number, verdicts: ReadonlyMap<string, Verdict>): HTMLElement {
  let verified = 0;
  let failed = 0;
  for (const v of verdicts.values()) v.status === 'verified' ? verified++ : failed++;
  const pending = total - verified - failed;
  return h(
    'p',
    { class: failed > 0 ? 'summary failed' : 'summary' },
    `${total} shown · ${verified} verified`,
    pending > 0 ? ` · ${pending} verifying` : null,
    failed > 0
      ? h(
          'strong',
          { class: 'alarm' },
          ` · ${failed} FAILED verification: the server shows entries that the log's signed checkpoint or the collector keys do not vouch for`,
        )
      : null,
  );
}

/** Resolves after the browser has painted the current DOM. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

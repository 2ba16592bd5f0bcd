// Runs every enabled rule on one change. A rule that throws is reported back (to be logged and
// counted by the caller), never propagated: a rule's own error must not block ingest.

import { DeniedBurstTracker, deniedAttempt, unusualActor } from './actor-rules.js';
import { annotationInjection, authRemoved, nginxRiskyAnnotation, nginxSnippet } from './annotation-rules.js';
import type { RiskConfig } from './config.js';
import { actorExempt } from './exempt.js';
import {
  backendChanged,
  gatewayExposure,
  hostExposed,
  ingressClassChanged,
  tlsRemoved,
} from './object-rules.js';
import { reasonMissing } from './reason-rules.js';
import { type Rule, type RuleInput, succeeded } from './rule.js';
import type { Finding, RuleId } from './types.js';

export interface Evaluation {
  findings: Finding[];
  failures: { rule: RuleId; error: unknown }[];
}

/** Evaluates rules over changes in log order; holds the burst window state. */
export class RiskEngine {
  readonly #tracker = new DeniedBurstTracker();
  readonly #rules: readonly [RuleId, Rule][];

  constructor(readonly config: RiskConfig) {
    this.#rules = [
      ['nginx-snippet', nginxSnippet],
      ['nginx-risky-annotation', nginxRiskyAnnotation],
      ['annotation-injection', annotationInjection],
      ['tls-removed', tlsRemoved],
      ['host-exposed', hostExposed],
      ['auth-removed', authRemoved],
      ['backend-changed', backendChanged],
      ['ingress-class-changed', ingressClassChanged],
      ['unusual-actor', unusualActor],
      ['denied-attempt', (i, c) => deniedAttempt(i, c, this.#tracker)],
      ['gateway-exposure', gatewayExposure],
      ['reason-missing', reasonMissing],
    ];
  }

  /**
   * Replays denials already in the log (oldest first) into the burst window without reporting
   * them, so a burst that straddles a restart is judged as reindex judges it.
   */
  primeDenials(denials: readonly { actor: string; atMs: number }[]): void {
    for (const d of denials) this.#tracker.record(d.actor, d.atMs, this.config.burstWindowSeconds * 1000);
  }

  evaluate(input: RuleInput): Evaluation {
    const findings: Finding[] = [];
    const failures: Evaluation['failures'] = [];
    // Object rules judge what the cluster now serves; a failed attempt changed nothing.
    const ok = succeeded(input.change);
    const objectInput: RuleInput = ok ? input : { ...input, after: null };
    for (const [id, rule] of this.#rules) {
      const settings = this.config.rules[id];
      if (!settings.enabled || actorExempt(input.change, settings.exemptUsers)) continue;
      try {
        const actorRule = id === 'unusual-actor' || id === 'denied-attempt' || id === 'reason-missing';
        for (const hit of rule(actorRule ? input : objectInput, this.config)) {
          findings.push({
            rule: id,
            severity: hit.severity ?? settings.severity,
            message: hit.message,
            path: hit.path,
          });
        }
      } catch (error) {
        failures.push({ rule: id, error });
      }
    }
    return { findings, failures };
  }
}

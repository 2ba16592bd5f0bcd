// Which alerts an output wants: a least severity, and optionally only some rules and clusters.
import { type Alert, type AlertSeverity, SEVERITIES } from '../../packages/runtime/index.js';

export interface AlertFilter {
  /** Alerts at least this severe (default low: every alert). */
  minSeverity: AlertSeverity;
  /** Only these rule ids (undefined: every rule). */
  rules?: ReadonlySet<string>;
  /** Only these clusters (undefined: every cluster). */
  clusters?: ReadonlySet<string>;
}

export const EVERY_ALERT: AlertFilter = { minSeverity: 'low' };

/** SEVERITIES runs from most to least severe. */
const rank = (s: AlertSeverity) => SEVERITIES.indexOf(s);

export function wants(f: AlertFilter, a: Alert): boolean {
  if (rank(a.severity) > rank(f.minSeverity)) return false;
  if (f.rules !== undefined && !f.rules.has(a.rule)) return false;
  if (f.clusters !== undefined && !f.clusters.has(a.cluster)) return false;
  return true;
}

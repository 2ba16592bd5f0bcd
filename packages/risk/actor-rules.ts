// Rules about who made the change (DESIGN 5.1: unusual-actor, denied-attempt). They look at the
// audit identity and answer code, not at the object, so they also fire on failed attempts.
import { ipInRanges } from './cidr.js';
import type { RiskConfig } from './config.js';
import type { Hit, RuleInput } from './rule.js';

export const ANONYMOUS_USER = 'system:anonymous';
/** Actors tracked at once by the burst window; the least recently seen is forgotten first. */
export const MAX_BURST_ACTORS = 10_000;

export function unusualActor(input: RuleInput, cfg: RiskConfig): Hit[] {
  const { change } = input;
  const hits: Hit[] = [];
  const user = change.user.username;
  if (user === ANONYMOUS_USER)
    hits.push({ message: 'change by system:anonymous', path: '', severity: 'critical' });
  if (change.impersonatedUser !== undefined) {
    hits.push({
      message: `${user} acted as ${change.impersonatedUser.username} through impersonation`,
      path: '',
    });
  }
  if (cfg.allowedUsers !== undefined && !cfg.allowedUsers.includes(user)) {
    hits.push({ message: `user ${user} is not on the allow-list`, path: '' });
  }
  const ranges = cfg.allowedSourceRanges;
  if (ranges !== undefined) {
    const outside = change.sourceIPs.filter((ip) => !ipInRanges(ip, ranges));
    if (outside.length > 0)
      hits.push({ message: `source IP ${outside[0]} outside the allowed ranges`, path: '' });
  }
  return hits;
}

/**
 * Counts denials per actor (username, or first source IP when anonymous) in a sliding window of
 * audit time, so a burst is judged the same way at ingest and at reindex (both see log order).
 */
export class DeniedBurstTracker {
  readonly #seen = new Map<string, number[]>();

  /** Records a denial at `atMs` and returns how many the actor has within the window ending there. */
  record(actor: string, atMs: number, windowMs: number): number {
    const times = (this.#seen.get(actor) ?? []).filter((t) => t > atMs - windowMs && t <= atMs);
    times.push(atMs);
    this.#seen.delete(actor);
    this.#seen.set(actor, times);
    if (this.#seen.size > MAX_BURST_ACTORS) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return times.length;
  }
}

/** Whom a denial counts against: the user, or for anonymous requests the first source IP. */
export function deniedActor(username: string, sourceIPs: readonly string[]): string {
  return username && username !== ANONYMOUS_USER ? username : `ip:${sourceIPs[0] ?? ''}`;
}

export function deniedAttempt(input: RuleInput, cfg: RiskConfig, tracker: DeniedBurstTracker): Hit[] {
  const { change } = input;
  if (change.responseCode !== 401 && change.responseCode !== 403) return [];
  const hits: Hit[] = [{ message: `${change.verb} denied with ${change.responseCode}`, path: '' }];
  const actor = deniedActor(change.user.username, change.sourceIPs);
  const at = Date.parse(change.stageTimestamp);
  if (Number.isFinite(at)) {
    const n = tracker.record(actor, at, cfg.burstWindowSeconds * 1000);
    // Only the crossing is reported, so one burst is one alert.
    if (n === cfg.burstThreshold) {
      hits.push({
        message: `burst: ${n} denied attempts by ${actor} within ${cfg.burstWindowSeconds}s`,
        path: '',
        severity: cfg.burstSeverity,
      });
    }
  }
  return hits;
}

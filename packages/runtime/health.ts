// Readiness: the named checks a service passes before it should be sent work. Each check answers
// now, from state the service already keeps (a flag set by a NATS status event, the outcome of the
// last commit), so /readyz and the gRPC health status cost nothing to ask and never block.

/**
 * One readiness check: undefined when it passes, else a short reason. The reason is served as-is on
 * /readyz to anyone who can reach the port, so it must never hold a secret (a URL with a password,
 * a token, a key path's contents).
 */
export type ReadinessCheck = () => string | undefined;

export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>();

  /** Adds (or replaces) the check called `name`. */
  add(name: string, check: ReadinessCheck): this {
    this.#checks.set(name, check);
    return this;
  }

  /** The failing checks as "name: reason", in the order they were added; empty when ready. */
  failing(): string[] {
    const out: string[] = [];
    for (const [name, check] of this.#checks) {
      let reason: string | undefined;
      try {
        reason = check();
      } catch (err) {
        reason = `check failed: ${(err as Error).name}`;
      }
      if (reason !== undefined) out.push(`${name}: ${reason}`);
    }
    return out;
  }

  get ready(): boolean {
    return this.failing().length === 0;
  }
}

/** How often watchReadiness re-evaluates the checks. */
export const READINESS_POLL_MS = 1000;

/**
 * Calls `onChange` with the new state whenever readiness flips (not at start: the caller knows its
 * initial state), polling every `intervalMs`. Returns the function that stops watching.
 */
export function watchReadiness(
  readiness: Readiness,
  onChange: (ready: boolean, failing: string[]) => void,
  intervalMs = READINESS_POLL_MS,
): () => void {
  let ready = readiness.ready;
  const timer = setInterval(() => {
    const failing = readiness.failing();
    const now = failing.length === 0;
    if (now === ready) return;
    ready = now;
    onChange(now, failing);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

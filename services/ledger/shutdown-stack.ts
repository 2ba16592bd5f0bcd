// One ordered shutdown for a composition root: what starts last stops first.

/** A step that releases what one start step opened. */
export type StopFn = () => Promise<void> | void;

/**
 * Obligations:
 * - `close()` runs every deferred step exactly once, in reverse order of `defer`, each after the
 *   previous one settled; calling it again answers the same promise.
 * - A step that throws does not keep the steps after it from running; its error goes to `onError`
 *   and close() still resolves (a half-stopped process must release its lock and ports).
 * - A step deferred after close() began runs at once: a start racing a shutdown leaks nothing.
 */
export class ShutdownStack {
  readonly #steps: { name: string; stop: StopFn }[] = [];
  readonly #onError: (name: string, err: unknown) => void;
  readonly #onStep: (name: string) => void;
  #closed: Promise<void> | undefined;

  constructor(
    onError: (name: string, err: unknown) => void = () => {},
    /** Called as each step begins (a debug log: which step a slow shutdown waits on). */
    onStep: (name: string) => void = () => {},
  ) {
    this.#onError = onError;
    this.#onStep = onStep;
  }

  /** Registers how to undo a start step that has just succeeded. */
  defer(name: string, stop: StopFn): void {
    if (this.#closed !== undefined) {
      this.#closed = this.#closed.then(() => this.#run(name, stop));
      return;
    }
    this.#steps.push({ name, stop });
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) {
        await this.#run(step.name, step.stop);
      }
    })();
    return this.#closed;
  }

  async #run(name: string, stop: StopFn): Promise<void> {
    this.#onStep(name);
    try {
      await stop();
    } catch (err) {
      this.#onError(name, err);
    }
  }
}

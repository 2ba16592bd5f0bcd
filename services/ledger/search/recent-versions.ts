// A bounded cache of the latest stored object of recently changed objects, so indexing an entry
// rarely has to parse the previous version's leaf. An entry is trusted only when the index still
// names the same version (log index and audit time): a rolled-back batch can never leave a stale
// object behind.

/** Objects whose latest version is kept in memory (about 2 KB each). */
export const RECENT_VERSIONS_MAX = 20_000;

interface Version {
  idx: bigint;
  stageUs: bigint;
  object: unknown;
}

export class RecentVersions {
  readonly #byObject = new Map<string, Version>();

  remember(obj: string, idx: bigint, stageUs: bigint, object: unknown): void {
    this.#byObject.delete(obj);
    this.#byObject.set(obj, { idx, stageUs, object });
    if (this.#byObject.size > RECENT_VERSIONS_MAX) {
      const oldest = this.#byObject.keys().next().value;
      if (oldest !== undefined) this.#byObject.delete(oldest);
    }
  }

  lookup(obj: string, idx: bigint, stageUs: bigint): { found: true; object: unknown } | { found: false } {
    const v = this.#byObject.get(obj);
    return v !== undefined && v.idx === idx && v.stageUs === stageUs
      ? { found: true, object: v.object }
      : { found: false };
  }
}

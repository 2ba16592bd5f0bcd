// Reads changes back from the log's own tables (entries, bodies): for history diffs, for the
// previous version a rule compares against, and for reindex. The leaf's first line is the change.
import type Database from 'better-sqlite3';
import { type Change, isBodyRef } from '../../../packages/change/index.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The change of a leaf (its note text's first line), without verifying the signature. */
export function changeOfLeaf(leaf: Uint8Array): Change {
  const nl = leaf.indexOf(0x0a);
  const text = decoder.decode(nl < 0 ? leaf : leaf.subarray(0, nl));
  const change = JSON.parse(text) as unknown;
  if (typeof change !== 'object' || change === null || Array.isArray(change))
    throw new TypeError('leaf text is not a JSON object');
  return change as Change;
}

/** Looks bodies up by digest: a batch's own map first, then a reader (the bodies table). */
export type BodyLookup = (sha256: string) => Uint8Array | undefined;

/** The change with its out-of-leaf request/response bodies put back in place. */
export function resolveBodies(change: Change, lookup: BodyLookup): Change {
  let out = change;
  for (const field of ['request', 'response'] as const) {
    const ref = out[field];
    if (!isBodyRef(ref)) continue;
    const data = lookup(ref.sha256.toLowerCase());
    if (data === undefined) continue;
    out = { ...out, [field]: JSON.parse(decoder.decode(data)) as unknown };
  }
  return out;
}

export class LeafReader {
  readonly #leaf: Database.Statement<[bigint], { leaf: Uint8Array }>;
  readonly #body: Database.Statement<[string], { data: Uint8Array }>;

  constructor(db: Database.Database) {
    this.#leaf = db.prepare('SELECT leaf FROM entries WHERE idx = ?');
    this.#body = db.prepare('SELECT data FROM bodies WHERE sha256 = ?');
  }

  body(sha256: string): Uint8Array | undefined {
    return this.#body.get(sha256)?.data;
  }

  /** The change at idx with bodies resolved, or undefined when the log has no such entry. */
  change(idx: bigint): Change | undefined {
    const row = this.#leaf.get(idx);
    if (row === undefined) return undefined;
    return resolveBodies(changeOfLeaf(row.leaf), (h) => this.body(h));
  }
}

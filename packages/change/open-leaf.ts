// Admission of a leaf (DESIGN 3.2): every check a ledger or an auditor makes before trusting one.
// The leaf is attacker-controlled bytes; its size is checked before anything is parsed, and the
// signature before the JSON is looked at, so unsigned input costs one parse and one verify at most.
import { openNote, type PublicKey, TlogError } from '../tlog/index.js';
import { canonicalJson } from './canonical.js';
import { isSurelyCanonical } from './canonical-fast.js';
import { type Change, MAX_LEAF_BYTES } from './change.js';
import { ChangeError } from './errors.js';
import { MAX_NESTING_DEPTH, nestsDeeperThan } from './nesting.js';
import { validateChange } from './validate.js';

export interface OpenedLeaf {
  change: Change;
  /** The note text (the canonical JSON line plus newline). */
  text: string;
  /** The collector key that signed it (`collector/<cluster>`). */
  key: PublicKey;
}

/** Collector keys are named `collector/<cluster>`: the cluster a key may sign changes of. */
export const COLLECTOR_PREFIX = 'collector/';

function openSigned(leaf: Uint8Array, keys: readonly PublicKey[]): { text: string; verified: PublicKey[] } {
  try {
    const { note, verified } = openNote(leaf, keys);
    return { text: note.text, verified: verified as PublicKey[] };
  } catch (err) {
    if (!(err instanceof TlogError)) throw err;
    if (err.code === 'NO_SIGNATURE') throw new ChangeError('UNKNOWN_KEY', 'no signature by a collector key');
    if (err.code === 'BAD_SIGNATURE') throw new ChangeError('BAD_SIGNATURE', err.message);
    throw new ChangeError('BAD_NOTE', err.message);
  }
}

function parseLine(text: string): unknown {
  const line = text.slice(0, -1);
  if (line.includes('\n')) throw new ChangeError('BAD_JSON', 'note text is more than one line');
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ChangeError('BAD_JSON', 'note text is not JSON');
  }
  if (nestsDeeperThan(value, MAX_NESTING_DEPTH)) {
    throw new ChangeError('TOO_DEEP', `note text nests deeper than ${MAX_NESTING_DEPTH} levels`);
  }
  // The one-pass scan settles the usual leaf; anything it cannot show canonical gets the full check.
  if (isSurelyCanonical(line)) return value;
  let canonical: string;
  try {
    canonical = canonicalJson(value);
  } catch {
    throw new ChangeError('BAD_JSON', 'note text has no canonical form');
  }
  // Duplicate keys, whitespace, key order and number forms all show up as a difference here.
  if (canonical !== line) throw new ChangeError('NOT_CANONICAL', 'note text is not RFC 8785 canonical JSON');
  return value;
}

/**
 * Opens a leaf: size <= MAX_LEAF_BYTES, a signed note verified by one of `keys` (a collector key named
 * `collector/<cluster>`), text = one line of RFC 8785 canonical JSON, a valid change whose cluster
 * matches the key name. Throws ChangeError with the code of the first failed check.
 */
export function openLeaf(leaf: Uint8Array, keys: readonly PublicKey[]): OpenedLeaf {
  if (leaf.length > MAX_LEAF_BYTES) {
    throw new ChangeError('TOO_LARGE', `leaf of ${leaf.length} bytes exceeds ${MAX_LEAF_BYTES}`);
  }
  const collectorKeys = keys.filter((k) => k.name.startsWith(COLLECTOR_PREFIX));
  const { text, verified } = openSigned(leaf, collectorKeys);
  const change = validateChange(parseLine(text));
  const key = verified.find((k) => k.name === `${COLLECTOR_PREFIX}${change.cluster}`);
  if (key === undefined) {
    throw new ChangeError(
      'CLUSTER_MISMATCH',
      `change of cluster ${change.cluster} is not signed by ${COLLECTOR_PREFIX}${change.cluster}`,
    );
  }
  return { change, text, key };
}

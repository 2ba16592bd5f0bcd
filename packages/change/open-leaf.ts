// CONTRACT STUB (ledger engineer implements): admission of a leaf.
import type { PublicKey } from '../tlog/index.js';
import type { Change } from './change.js';
import { ChangeError } from './errors.js';

export interface OpenedLeaf {
  change: Change;
  /** The note text (the canonical JSON line plus newline). */
  text: string;
  /** The collector key that signed it (`collector/<cluster>`). */
  key: PublicKey;
}

/**
 * Opens a leaf: size <= MAX_LEAF_BYTES, a signed note verified by one of `keys` (a collector key named
 * `collector/<cluster>`), text = one line of RFC 8785 canonical JSON, a valid change whose cluster
 * matches the key name. Throws ChangeError with the code of the first failed check.
 */
export function openLeaf(_leaf: Uint8Array, _keys: readonly PublicKey[]): OpenedLeaf {
  throw new ChangeError('BAD_NOTE', 'not implemented');
}

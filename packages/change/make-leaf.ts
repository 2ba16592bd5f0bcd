// CONTRACT STUB (collector engineer implements): a change as a signed leaf.
import type { PrivateKey } from '../tlog/index.js';
import type { Change } from './change.js';
import { ChangeError } from './errors.js';

export interface OutOfLeafBody {
  /** Lower-case hex SHA-256 of data. */
  sha256: string;
  /** The body's canonical JSON bytes. */
  data: Uint8Array;
}

/**
 * Signs a change as a note with the collector key (named `collector/<cluster>`). When the leaf would
 * exceed MAX_LEAF_BYTES, moves the request/response body out (the larger first) as DESIGN 3.2 says and
 * returns the moved bodies. Throws ChangeError('TOO_LARGE') if it still does not fit.
 */
export function makeLeaf(_change: Change, _key: PrivateKey): { leaf: Uint8Array; bodies: OutOfLeafBody[] } {
  throw new ChangeError('TOO_LARGE', 'not implemented');
}

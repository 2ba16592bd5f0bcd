// Checks one leaf: a signed note by a trusted collector key of the change's cluster, holding one
// canonical JSON change. With no collector keys the signature cannot be checked, only the form.
import {
  type Change,
  ChangeError,
  MAX_LEAF_BYTES,
  openLeaf,
  validateChange,
} from '../../../packages/change/index.js';
import { type PublicKey, parseNote } from '../../../packages/tlog/index.js';
import { VerificationError } from './errors.js';

export interface CheckedLeaf {
  change: Change;
  /** `name+keyid` of the collector key that verified, or undefined when none was given. */
  signer?: string;
}

const SIGNATURE_CODES = new Set(['UNKNOWN_KEY', 'BAD_SIGNATURE', 'CLUSTER_MISMATCH']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function checkLeaf(leaf: Uint8Array, keys: readonly PublicKey[], index?: bigint): CheckedLeaf {
  const at = index === undefined ? 'leaf' : `entry ${index}`;
  if (keys.length > 0) {
    try {
      const opened = openLeaf(leaf, keys);
      return {
        change: opened.change,
        signer: `${opened.key.name}+${opened.key.keyId.toString(16).padStart(8, '0')}`,
      };
    } catch (err) {
      if (!(err instanceof ChangeError)) throw err;
      const code = SIGNATURE_CODES.has(err.code) ? 'COLLECTOR_SIGNATURE' : 'LEAF';
      throw new VerificationError(code, `${at}: ${err.code}: ${err.message}`, index);
    }
  }
  try {
    if (leaf.length > MAX_LEAF_BYTES) throw new ChangeError('TOO_LARGE', `leaf of ${leaf.length} bytes`);
    const note = parseNote(leaf);
    const text = note.text.endsWith('\n') ? note.text.slice(0, -1) : note.text;
    if (text.includes('\n')) throw new ChangeError('BAD_JSON', 'note text is not one line');
    return { change: validateChange(JSON.parse(text)) };
  } catch (err) {
    const code = err instanceof Error ? ((err as { code?: string }).code ?? 'BAD_JSON') : 'BAD_JSON';
    throw new VerificationError('LEAF', `${at}: ${code}: ${(err as Error).message}`, index);
  }
}

/** Decodes a leaf for display only; never a verdict. */
export function leafText(leaf: Uint8Array): string | undefined {
  try {
    return utf8.decode(leaf);
  } catch {
    return undefined;
  }
}

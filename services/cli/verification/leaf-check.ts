// Checks one leaf: a signed note by a trusted collector key of the change's cluster, holding one
// canonical JSON change. With no collector keys the signature cannot be checked, only the form.
import {
  type Change,
  ChangeError,
  MAX_LEAF_BYTES,
  openLeaf,
  validateChange,
} from '../../../packages/change/index.js';
import { openNote, type PublicKey, parseNote, TlogError } from '../../../packages/tlog/index.js';
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

/**
 * The audit's per-leaf check: a signature by a trusted collector key named after the change's own
 * cluster. It skips the canonical-form and schema checks of checkLeaf (the ledger's admission
 * rules, which do not bear on who signed), so that the Ed25519 verification dominates the cost.
 * The audit's workers try leafPassesFast (leaf-check-fast.ts) first and come here for the rest.
 */
export function checkLeafSignature(leaf: Uint8Array, keys: readonly PublicKey[], index: bigint): void {
  if (leaf.length > MAX_LEAF_BYTES)
    throw new VerificationError('LEAF', `entry ${index}: leaf of ${leaf.length} bytes`, index);
  let text: string;
  let signers: string[];
  try {
    const opened = openNote(leaf, keys);
    text = opened.note.text;
    signers = opened.verified.map((v) => v.name);
  } catch (err) {
    if (err instanceof TlogError && (err.code === 'NO_SIGNATURE' || err.code === 'BAD_SIGNATURE')) {
      throw new VerificationError(
        'COLLECTOR_SIGNATURE',
        `entry ${index}: ${err.code}: ${err.message}`,
        index,
      );
    }
    throw new VerificationError(
      'LEAF',
      `entry ${index}: not a signed note: ${(err as Error).message}`,
      index,
    );
  }
  let cluster: unknown;
  try {
    cluster = (JSON.parse(text) as { cluster?: unknown }).cluster;
  } catch {
    throw new VerificationError('LEAF', `entry ${index}: the note text is not JSON`, index);
  }
  if (typeof cluster !== 'string' || !signers.includes(`collector/${cluster}`)) {
    throw new VerificationError(
      'COLLECTOR_SIGNATURE',
      `entry ${index}: a change of cluster ${String(cluster)} is not signed by collector/${String(cluster)}`,
      index,
    );
  }
}

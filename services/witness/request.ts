// Parses a tlog-witness add-checkpoint body. The body comes from anyone who can reach the port, so
// every line is checked strictly and bounded before any signature or hash is computed.
import { decodeBase64, HASH_SIZE, parseDecimal, TlogError } from '../../packages/tlog/index.js';
import { WitnessError } from './errors.js';

/** The client MUST NOT send more than 63 consistency proof lines (tlog-witness). */
export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  old: bigint;
  proof: Uint8Array[];
  /** The checkpoint note (text, blank line, signature lines), still unverified. */
  note: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const OLD_PREFIX = 'old ';

function malformed(why: string): never {
  throw new WitnessError('MALFORMED', why);
}

export function parseAddCheckpoint(body: Uint8Array): AddCheckpointRequest {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return malformed('body is not valid UTF-8');
  }
  let at = text.indexOf('\n');
  if (at < 0) malformed('no old size line');
  const oldLine = text.slice(0, at);
  if (!oldLine.startsWith(OLD_PREFIX)) malformed('first line is not "old <size>"');
  let old: bigint;
  try {
    old = parseDecimal(oldLine.slice(OLD_PREFIX.length));
  } catch (err) {
    if (err instanceof TlogError) malformed('old size is not a decimal without leading zeroes');
    throw err;
  }
  const proof: Uint8Array[] = [];
  for (;;) {
    const start = at + 1;
    at = text.indexOf('\n', start);
    if (at < 0) malformed('no blank line before the checkpoint');
    const line = text.slice(start, at);
    if (line === '') break;
    if (proof.length === MAX_PROOF_LINES) malformed(`more than ${MAX_PROOF_LINES} proof lines`);
    let hash: Uint8Array;
    try {
      hash = decodeBase64(line);
    } catch {
      return malformed('proof line is not base64');
    }
    if (hash.length !== HASH_SIZE) malformed('proof hash is not 32 bytes');
    proof.push(hash);
  }
  const note = text.slice(at + 1);
  if (note.length === 0) malformed('no checkpoint');
  return { old, proof, note };
}

export function formatAddCheckpoint(old: bigint, proof: readonly Uint8Array[], note: string): string {
  const lines = proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('');
  return `old ${old}\n${lines}\n${note}`;
}

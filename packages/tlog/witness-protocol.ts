// The C2SP tlog-witness wire formats, in one place for both sides: the log's witness client formats
// add-checkpoint bodies and reads the witness's text/x.tlog.size answers; the witness parses the
// bodies and writes those answers. A body comes from anyone who can reach a witness, so every line is
// checked strictly and bounded before any signature or hash is computed.
import { decodeBase64, parseDecimal } from './encoding.js';
import { TlogError } from './errors.js';
import { HASH_SIZE } from './hash.js';

/** The endpoint, relative to a witness's URL prefix. */
export const ADD_CHECKPOINT_PATH = '/add-checkpoint';
/** The content type of a 409 answer, whose body is the witness's latest size for the log. */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

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
  throw new TlogError('MALFORMED', why);
}

/** Parses an add-checkpoint body; anything else is TlogError('MALFORMED'). */
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

/** The add-checkpoint body: the old size, the consistency proof from it, a blank line, the note. */
export function formatAddCheckpoint(old: bigint, proof: readonly Uint8Array[], note: string): string {
  const lines = proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('');
  return `old ${old}\n${lines}\n${note}`;
}

/** The body of a text/x.tlog.size answer. */
export function formatTlogSize(size: bigint): string {
  return `${size}\n`;
}

const SIZE_BODY_RE = /^(0|[1-9][0-9]{0,19})\n$/;

/**
 * The size a text/x.tlog.size answer gives: exactly one decimal line without leading zeroes that fits
 * in 64 bits. Anything else, the wrong content type included, is TlogError('MALFORMED').
 */
export function parseTlogSize(contentType: string | undefined, body: string): bigint {
  const m = SIZE_BODY_RE.exec(body);
  if (contentType !== TLOG_SIZE_CONTENT_TYPE || m === null) {
    throw new TlogError('MALFORMED', `not a ${TLOG_SIZE_CONTENT_TYPE} body`);
  }
  return parseDecimal(m[1] ?? '');
}

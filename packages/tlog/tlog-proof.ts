// C2SP tlog-proof@v1: an entry's index, inclusion proof and cosigned checkpoint in one text file,
// verifiable offline with a policy.
import { type Checkpoint, parseCheckpoint } from './checkpoint.js';
import { decodeBase64, encodeBase64, parseDecimal } from './encoding.js';
import { TlogError } from './errors.js';
import { HASH_SIZE, leafHash } from './hash.js';
import { verifyInclusion } from './merkle.js';
import { parseNote } from './note.js';
import { type Policy, verifyCheckpointNote } from './policy.js';

export interface TlogProof {
  /** Optional opaque extra data line. */
  extra?: Uint8Array;
  index: bigint;
  /** The inclusion proof hashes. */
  hashes: Uint8Array[];
  /** The whole cosigned checkpoint note. */
  checkpoint: string;
}

/** The first line of every tlog-proof@v1 file. */
export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
/** A tree of fewer than 2^63 leaves has inclusion proofs of at most 63 hashes. */
export const MAX_PROOF_HASHES = 63;
/** A proof file larger than this is MALFORMED before it is decoded. */
export const MAX_TLOG_PROOF_BYTES = 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(why: string): never {
  throw new TlogError('MALFORMED', why);
}

export function formatTlogProof(p: TlogProof): string {
  if (p.index < 0n) throw new TlogError('BAD_RANGE', 'negative index');
  if (p.hashes.length > MAX_PROOF_HASHES) malformed('too many proof hashes');
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra !== undefined) {
    if (p.extra.length === 0) malformed('empty extra data');
    lines.push(`extra ${encodeBase64(p.extra)}`);
  }
  lines.push(`index ${p.index.toString(10)}`);
  for (const h of p.hashes) {
    if (h.length !== HASH_SIZE) throw new TlogError('BAD_HASH_SIZE', 'proof hash is not 32 bytes');
    lines.push(encodeBase64(h));
  }
  parseNote(p.checkpoint);
  return `${lines.join('\n')}\n\n${p.checkpoint}`;
}

/** Takes the next line (without its newline) starting at pos, or fails: every line ends in newline. */
function nextLine(text: string, pos: number): [string, number] {
  const end = text.indexOf('\n', pos);
  if (end < 0) malformed('truncated proof');
  return [text.slice(pos, end), end + 1];
}

export function parseTlogProof(input: string | Uint8Array): TlogProof {
  if (input.length > MAX_TLOG_PROOF_BYTES) malformed('proof too large');
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      return malformed('proof is not valid UTF-8');
    }
  }
  let [line, pos] = nextLine(text, 0);
  if (line !== TLOG_PROOF_HEADER) malformed('not a c2sp.org/tlog-proof@v1 file');
  let extra: Uint8Array | undefined;
  [line, pos] = nextLine(text, pos);
  if (line.startsWith('extra ')) {
    extra = decodeBase64(line.slice('extra '.length));
    if (extra.length === 0) malformed('empty extra data');
    [line, pos] = nextLine(text, pos);
  }
  if (!line.startsWith('index ')) malformed('missing index line');
  const index = parseDecimal(line.slice('index '.length));
  const hashes: Uint8Array[] = [];
  for (;;) {
    [line, pos] = nextLine(text, pos);
    if (line === '') break;
    if (hashes.length === MAX_PROOF_HASHES) malformed('too many proof hashes');
    const h = decodeBase64(line);
    if (h.length !== HASH_SIZE) throw new TlogError('BAD_HASH_SIZE', 'proof hash is not 32 bytes');
    hashes.push(h);
  }
  const checkpoint = text.slice(pos);
  // Fail here rather than at verification: a proof whose checkpoint cannot parse is not a proof.
  parseCheckpoint(parseNote(checkpoint).text);
  return extra === undefined ? { index, hashes, checkpoint } : { extra, index, hashes, checkpoint };
}

export function verifyTlogProof(
  proof: TlogProof,
  leaf: Uint8Array,
  policy: Policy,
): { checkpoint: Checkpoint; cosigners: string[] } {
  const { checkpoint, cosigners } = verifyCheckpointNote(proof.checkpoint, policy);
  if (proof.index >= checkpoint.size) throw new TlogError('BAD_RANGE', 'index not below the checkpoint size');
  verifyInclusion(proof.index, checkpoint.size, leafHash(leaf), proof.hashes, checkpoint.rootHash);
  return { checkpoint, cosigners };
}

// One witness's side of the tlog-witness v1.0.0 add-checkpoint exchange, as the log speaks it.
//
// Obligations:
// - `addCheckpoint` resolves, never rejects: with the witness's cosignature lines over this
//   checkpoint, each verified against the policy's vkey for the witness, or with a failure code
//   and a reason a human can act on (a refusal may be the first sign of a fork).
// - It sends the consistency proof from the size the witness last cosigned (`old`, 0 at start),
//   and moves `old` to this size only when the witness cosigned it. A 409 names the size the
//   witness holds: it is adopted and the request sent once more, never more.
// - A size below `old` is not sent: the witness would refuse it, and it means a rollback.
// - `probe` (once, at start: witness-start-check.ts) sends `old` equal to the checkpoint's size,
//   with no proof, and never retries: the witness cosigns a size it holds with this root, names
//   the same size with another root (a fork), or answers 409 with the size it holds, which is
//   adopted as `old` and returned for the caller to compare with the store.
// Callers send one checkpoint at a time per witness, in size order (witness-cosigner.ts).
import {
  ADD_CHECKPOINT_PATH,
  cosignatureVerifier,
  formatAddCheckpoint,
  type Note,
  parseSignatureLines,
  parseTlogSize,
  TLOG_SIZE_CONTENT_TYPE,
  TlogError,
  type Verifier,
} from '../../packages/tlog/index.js';
import type { WitnessAnswer } from './witness-http.js';

/** What one exchange ends in: cosignature lines (each ending in a newline), or why not. */
export type WitnessResult = { cosignature: string } | { failure: string; reason: string };

/** What a probe ends in: as an exchange, or the other size the witness holds (409). */
export type ProbeResult = WitnessResult | { holds: bigint };

/** Posts a body to a witness's add-checkpoint URL (witness-http.ts), rejecting on no answer. */
export type PostFn = (url: URL, body: string) => Promise<WitnessAnswer>;

const encoder = new TextEncoder();

function refusalReason(status: number, old: bigint, size: bigint): [string, string] {
  switch (status) {
    case 400:
      return ['bad_request', 'the witness found the request malformed'];
    case 403:
      return ['forbidden', "the witness does not trust the log's key (no valid log signature)"];
    case 404:
      return ['unknown_origin', "the witness does not know this log's origin"];
    case 422:
      // Our witnesses answer 422 to the same size with another root (DESIGN 3.5).
      if (old === size)
        return ['fork', `the witness cosigned size ${size} with another root hash: the log forked`];
      return [
        'bad_proof',
        `the consistency proof from size ${old} to ${size} does not verify against what the witness cosigned: this log is not an extension of it (fork or rollback)`,
      ];
    default:
      return [`http_${status}`, `the witness answered HTTP ${status}`];
  }
}

/** The size a 409 names, or why the answer is not one. */
function latestSize(res: WitnessAnswer): bigint | { failure: string; reason: string } {
  try {
    return parseTlogSize(res.contentType, res.text);
  } catch {
    return {
      failure: 'bad_response',
      reason: `a 409 answer without a ${TLOG_SIZE_CONTENT_TYPE} body of a size in range`,
    };
  }
}

export class WitnessExchange {
  readonly endpoint: URL;
  readonly #verifier: Verifier;
  readonly #post: PostFn;
  /** The size this witness last cosigned, as far as this process knows (0 at start). */
  #old = 0n;

  /** Throws TlogError('BAD_POLICY') for a URL that is not http(s). */
  constructor(
    readonly name: string,
    /** The policy's base URL, without a trailing slash. */
    readonly url: string,
    vkey: string,
    post: PostFn,
    private readonly onRetry: (old: bigint, latest: bigint) => void = () => {},
  ) {
    let endpoint: URL;
    try {
      endpoint = new URL(`${url}${ADD_CHECKPOINT_PATH}`);
    } catch {
      throw new TlogError('BAD_POLICY', `witness ${name}: invalid URL`);
    }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
      throw new TlogError('BAD_POLICY', `witness ${name}: URL must be http or https`);
    }
    this.endpoint = endpoint;
    this.#verifier = cosignatureVerifier(vkey);
    this.#post = post;
  }

  get old(): bigint {
    return this.#old;
  }

  async addCheckpoint(
    note: Note,
    noteText: string,
    size: bigint,
    proof: (from: bigint) => Uint8Array[],
  ): Promise<WitnessResult> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = this.#old;
      if (old > size) {
        return {
          failure: 'rollback',
          reason: `the witness already cosigned size ${old}, larger than this checkpoint's size ${size}: the log was rolled back`,
        };
      }
      let hashes: Uint8Array[];
      try {
        hashes = old === 0n || old === size ? [] : proof(old);
      } catch (err) {
        return {
          failure: 'no_proof',
          reason: `no consistency proof from ${old} to ${size}: ${(err as Error).message}`,
        };
      }
      const res = await this.#send(formatAddCheckpoint(old, hashes, noteText));
      if ('failure' in res) return res;
      if (res.status !== 409) return this.#answered(res, note, old, size);
      const latest = latestSize(res);
      if (typeof latest !== 'bigint') return latest;
      if (latest === old) {
        // The only conforming 409 that repeats our old size: same size, another root.
        return old === size
          ? {
              failure: 'fork',
              reason: `the witness cosigned size ${size} with another root hash: the log forked`,
            }
          : { failure: 'bad_response', reason: `a 409 answer naming the old size ${old} that was sent` };
      }
      this.onRetry(old, latest);
      this.#old = latest;
    }
    return {
      failure: 'conflict',
      reason: `the witness's cosigned size changed again (now ${this.#old}) during the retry`,
    };
  }

  async probe(note: Note, noteText: string, size: bigint): Promise<ProbeResult> {
    const res = await this.#send(formatAddCheckpoint(size, [], noteText));
    if ('failure' in res) return res;
    if (res.status !== 409) return this.#answered(res, note, size, size);
    const latest = latestSize(res);
    if (typeof latest !== 'bigint') return latest;
    if (latest === size)
      return {
        failure: 'fork',
        reason: `the witness cosigned size ${size} with another root hash: the log forked`,
      };
    this.#old = latest;
    return { holds: latest };
  }

  async #send(body: string): Promise<WitnessAnswer | { failure: string; reason: string }> {
    try {
      return await this.#post(this.endpoint, body);
    } catch (err) {
      const timedOut = (err as { code?: unknown }).code === 'TIMEOUT';
      return {
        failure: timedOut ? 'timeout' : 'unreachable',
        reason: timedOut ? (err as Error).message : `request failed: ${(err as Error).message}`,
      };
    }
  }

  /** A 200 (cosigned, once verified) or a refusal other than 409. */
  #answered(res: WitnessAnswer, note: Note, old: bigint, size: bigint): WitnessResult {
    if (res.status !== 200) {
      const [failure, reason] = refusalReason(res.status, old, size);
      return { failure, reason };
    }
    const valid = this.#validCosignatures(res.text, note.text);
    if (valid.length === 0)
      return { failure: 'bad_cosignature', reason: 'no valid cosignature by the witness key in its answer' };
    this.#old = size;
    return { cosignature: valid.join('') };
  }

  /** Keeps only the lines that are valid cosignatures by this witness's key over this checkpoint. */
  #validCosignatures(body: string, text: string): string[] {
    const lines = body.endsWith('\n') ? body.slice(0, -1).split('\n') : [body];
    const message = encoder.encode(text);
    const verifier = this.#verifier;
    const valid: string[] = [];
    for (const line of lines) {
      let sig: ReturnType<typeof parseSignatureLines>[number] | undefined;
      try {
        sig = parseSignatureLines(line)[0];
      } catch {
        continue;
      }
      if (sig === undefined || sig.name !== verifier.name || sig.keyId !== verifier.keyId >>> 0) continue;
      if (verifier.verify(message, sig.signature)) valid.push(`${line}\n`);
    }
    return valid;
  }
}

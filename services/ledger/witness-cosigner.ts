// Asks the witnesses of a C2SP tlog-policy to cosign each checkpoint (tlog-witness v1.0.0) and
// merges their cosignatures once the policy's quorum is met. A witness's answer is untrusted input:
// its cosignature is verified against the policy's vkey before it is merged, and a witness that
// refuses says exactly why in the log, because a refusal may be the first sign of a fork.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  ADD_CHECKPOINT_PATH,
  cosignatureVerifier,
  formatAddCheckpoint,
  formatNote,
  mergeSignatures,
  type Note,
  type Policy,
  parseNote,
  parseSignatureLines,
  parseTlogSize,
  QUORUM_NONE,
  quorumMet,
  TLOG_SIZE_CONTENT_TYPE,
  TlogError,
  type Verifier,
} from '../../packages/tlog/index.js';
import type { CheckpointCosigner } from './cosigning.js';
import { witnessMetrics } from './metrics.js';

export interface WitnessCosignerOptions {
  policy: Policy;
  logger: Logger;
  registry?: Registry;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

/** A witness that has not answered within this many milliseconds has not cosigned this time. */
export const DEFAULT_WITNESS_TIMEOUT_MS = 5_000;
/** Largest witness answer read; a few cosignature lines are a few hundred bytes. */
export const MAX_WITNESS_RESPONSE_BYTES = 64 * 1024;

interface Slot {
  name: string;
  url: string;
  endpoint: URL;
  verifier: Verifier;
  /** The size this witness last cosigned, as far as this process knows (0 at start). */
  old: bigint;
}

type Result = { cosignature: string } | { failure: string; reason: string };

const encoder = new TextEncoder();

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * POSTs over a keep-alive agent. node:http rather than fetch: on a busy 2-core machine fetch cost
 * about 4 ms per request against 0.5 ms here, and this sits on the path to every publication.
 */
function post(url: URL, body: string, timeoutMs: number, agents: Agents): Promise<Answer> {
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', agent: secure ? agents.https : agents.http }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_WITNESS_RESPONSE_BYTES) req.destroy(new Error('answer too large'));
        else chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(
      () => req.destroy(new TimeoutError(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.setHeader('content-type', 'text/plain; charset=utf-8');
    req.end(body);
  });
}

interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

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

export function createWitnessCosigner(opts: WitnessCosignerOptions): CheckpointCosigner {
  const { policy, logger } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WITNESS_TIMEOUT_MS;
  const { latency, failures, quorumMissed: missed } = witnessMetrics(opts.registry);

  const agents: Agents = {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };
  const slots: Slot[] = [];
  for (const w of policy.witnesses) {
    if (w.url === undefined) {
      logger.warn({ witness: w.name }, 'witness has no URL in the policy; it is never asked');
      continue;
    }
    const url = w.url.replace(/\/+$/, '');
    let endpoint: URL;
    try {
      endpoint = new URL(`${url}${ADD_CHECKPOINT_PATH}`);
    } catch {
      throw new TlogError('BAD_POLICY', `witness ${w.name}: invalid URL`);
    }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
      throw new TlogError('BAD_POLICY', `witness ${w.name}: URL must be http or https`);
    }
    slots.push({ name: w.name, url, endpoint, verifier: cosignatureVerifier(w.vkey), old: 0n });
  }

  /** Keeps only the lines that are valid cosignatures by this witness's key over this checkpoint. */
  function validCosignatures(slot: Slot, body: string, text: string): string[] {
    const lines = body.endsWith('\n') ? body.slice(0, -1).split('\n') : [body];
    const message = encoder.encode(text);
    const valid: string[] = [];
    for (const line of lines) {
      let sig: ReturnType<typeof parseSignatureLines>[number] | undefined;
      try {
        sig = parseSignatureLines(line)[0];
      } catch {
        continue;
      }
      if (sig === undefined || sig.name !== slot.verifier.name || sig.keyId !== slot.verifier.keyId >>> 0)
        continue;
      if (slot.verifier.verify(message, sig.signature)) valid.push(`${line}\n`);
    }
    return valid;
  }

  async function ask(
    slot: Slot,
    note: Note,
    noteText: string,
    size: bigint,
    proof: (from: bigint) => Uint8Array[],
  ): Promise<Result> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = slot.old;
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
      const body = formatAddCheckpoint(old, hashes, noteText);
      let res: Answer;
      try {
        res = await post(slot.endpoint, body, timeoutMs, agents);
      } catch (err) {
        const timedOut = (err as Error).name === 'TimeoutError';
        return {
          failure: timedOut ? 'timeout' : 'unreachable',
          reason: timedOut ? `no answer within ${timeoutMs} ms` : `request failed: ${(err as Error).message}`,
        };
      }
      if (res.status === 200) {
        const valid = validCosignatures(slot, res.text, note.text);
        if (valid.length === 0)
          return {
            failure: 'bad_cosignature',
            reason: 'no valid cosignature by the witness key in its answer',
          };
        slot.old = size;
        return { cosignature: valid.join('') };
      }
      if (res.status !== 409) {
        const [failure, reason] = refusalReason(res.status, old, size);
        return { failure, reason };
      }
      let latest: bigint;
      try {
        latest = parseTlogSize(res.contentType, res.text);
      } catch {
        return {
          failure: 'bad_response',
          reason: `a 409 answer without a ${TLOG_SIZE_CONTENT_TYPE} body of a size in range`,
        };
      }
      if (latest === old) {
        // The only conforming 409 that repeats our old size: same size, another root.
        return old === size
          ? {
              failure: 'fork',
              reason: `the witness cosigned size ${size} with another root hash: the log forked`,
            }
          : { failure: 'bad_response', reason: `a 409 answer naming the old size ${old} that was sent` };
      }
      logger.debug(
        { witness: slot.name, old: String(old), latest: String(latest) },
        'witness has another size; retrying',
      );
      slot.old = latest;
    }
    return {
      failure: 'conflict',
      reason: `the witness's cosigned size changed again (now ${slot.old}) during the retry`,
    };
  }

  async function cosignNow(
    note: string,
    size: bigint,
    proof: (from: bigint) => Uint8Array[],
  ): Promise<string | undefined> {
    const parsed = parseNote(note);
    const results = await Promise.all(
      slots.map(async (slot) => {
        const stop = latency.startTimer({ witness: slot.name });
        // The seam's contract: a witness never makes cosign() reject.
        const r = await ask(slot, parsed, note, size, proof).catch(
          (err: unknown): Result => ({
            failure: 'internal',
            reason: `unexpected: ${(err as Error).message}`,
          }),
        );
        if ('cosignature' in r) stop();
        else {
          failures.inc({ witness: slot.name, reason: r.failure });
          logger.warn(
            { witness: slot.name, url: slot.url, size: String(size), failure: r.failure, reason: r.reason },
            `witness ${slot.name} did not cosign size ${size}: ${r.reason}`,
          );
        }
        return [slot, r] as const;
      }),
    );
    const cosigned = new Set<string>();
    const lines: string[] = [];
    for (const [slot, r] of results) {
      if ('cosignature' in r) {
        cosigned.add(slot.name);
        lines.push(r.cosignature);
      }
    }
    if (!quorumMet(policy, cosigned)) {
      missed.inc();
      logger.warn(
        { size: String(size), cosigned: [...cosigned], quorum: policy.quorum },
        `checkpoint of size ${size} missed the witness quorum (${cosigned.size} cosigned); not published`,
      );
      return undefined;
    }
    return formatNote(mergeSignatures(parsed, lines));
  }

  // One checkpoint at a time: each witness's `old` must follow the sizes in order.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    cosign(note, size, proof) {
      // quorum none: publish at once; no witness is waited for (or asked).
      if (policy.quorum === QUORUM_NONE) return Promise.resolve(note);
      const run = queue.then(() => cosignNow(note, size, proof));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      await queue;
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

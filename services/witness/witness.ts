// The tlog-witness v1.0.0 decision: verify the log's signature, check the old size against the
// stored state, verify the consistency proof, then cosign and persist, in that order. Pure apart
// from the state store; the HTTP shell maps WitnessError codes to statuses.
import { createHash } from 'node:crypto';
import {
  type AddCheckpointRequest,
  type Checkpoint,
  cosignatureVkey,
  cosignCheckpoint,
  formatNote,
  type Note,
  openNote,
  type PrivateKey,
  type PublicKey,
  parseAddCheckpoint,
  parseCheckpoint,
  parseNote,
  TlogError,
  type Verifier,
  verifyConsistency,
} from '../../packages/tlog/index.js';
import { WitnessError } from './errors.js';
import type { LogState, WitnessState } from './state.js';

/** A request whose structure and log signature are verified; its state check is still to come. */
export interface PreparedCheckpoint {
  old: bigint;
  proof: Uint8Array[];
  /** The note with the log signatures that verified (the monitoring endpoint adds the cosignature). */
  note: string;
  /** The checkpoint text the log signed, which the cosignature covers. */
  text: string;
  checkpoint: Checkpoint;
}

export interface AddCheckpointResult {
  checkpoint: Checkpoint;
  old: bigint;
  /** The cosignature line(s), each ending in a newline: the 200 body. */
  cosignatures: string;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Lowercase hex SHA-256 of the origin line: the path segment of the monitoring endpoint. */
export function originHash(origin: string): string {
  return createHash('sha256').update(origin, 'utf8').digest('hex');
}

export class Witness {
  readonly name: string;
  readonly vkey: string;
  readonly #key: PrivateKey;
  readonly #logs = new Map<string, PublicKey[]>();
  readonly #byHash = new Map<string, string>();
  readonly #state: WitnessState;
  readonly #now: () => bigint;

  constructor(key: PrivateKey, logs: readonly PublicKey[], state: WitnessState, now?: () => bigint) {
    this.#key = key;
    this.name = key.name;
    this.vkey = cosignatureVkey(key);
    this.#state = state;
    this.#now = now ?? (() => BigInt(Math.floor(Date.now() / 1000)));
    // A log's origin is its key name (tlog-checkpoint); several keys may serve one origin.
    for (const k of logs) {
      const list = this.#logs.get(k.name) ?? [];
      if (!list.some((x) => x.vkey === k.vkey)) list.push(k);
      this.#logs.set(k.name, list);
      this.#byHash.set(originHash(k.name), k.name);
    }
  }

  /** The origins this witness trusts. */
  origins(): string[] {
    return [...this.#logs.keys()];
  }

  /** Parses and checks what needs no state: structure, origin, log signature, old <= size. */
  prepare(body: Uint8Array): PreparedCheckpoint {
    let req: AddCheckpointRequest;
    try {
      req = parseAddCheckpoint(body);
    } catch (err) {
      if (err instanceof TlogError) throw new WitnessError('MALFORMED', err.message);
      throw err;
    }
    let note: Note;
    let checkpoint: Checkpoint;
    try {
      note = parseNote(req.note);
      checkpoint = parseCheckpoint(note.text);
    } catch (err) {
      if (err instanceof TlogError) throw new WitnessError('MALFORMED', `checkpoint: ${err.message}`);
      throw err;
    }
    const keys = this.#logs.get(checkpoint.origin);
    if (keys === undefined) throw new WitnessError('UNKNOWN_ORIGIN', 'unknown origin');
    let verified: Verifier[];
    try {
      verified = openNote(req.note, keys).verified;
    } catch (err) {
      if (err instanceof TlogError) throw new WitnessError('FORBIDDEN', `log signature: ${err.code}`);
      throw err;
    }
    if (req.old > checkpoint.size) {
      throw new WitnessError('BAD_OLD_SIZE', `old size ${req.old} > checkpoint size ${checkpoint.size}`);
    }
    // Keep only the signatures that verified: the monitoring endpoint serves what this witness checked.
    const signatures = note.signatures.filter((sig) =>
      verified.some((v) => v.name === sig.name && v.keyId >>> 0 === sig.keyId),
    );
    const logNote = formatNote({ text: note.text, signatures });
    return { old: req.old, proof: req.proof, note: logNote, text: note.text, checkpoint };
  }

  /**
   * Checks a prepared request against the stored state and cosigns it. Must run inside
   * WitnessState.batch, whose commit makes it durable; several may share one batch (group commit),
   * each seeing the state the earlier ones left.
   */
  cosign(p: PreparedCheckpoint): AddCheckpointResult {
    let cosignatures = '';
    this.#state.update(p.checkpoint.origin, (current) => {
      this.#check(p.old, p.proof, p.checkpoint, current);
      cosignatures = cosignCheckpoint(p.text, this.#key, this.#now());
      return { size: p.checkpoint.size, rootHash: p.checkpoint.rootHash, note: p.note + cosignatures };
    });
    return { checkpoint: p.checkpoint, old: p.old, cosignatures };
  }

  /**
   * Cosigns several prepared requests in one transaction (one disk flush), in order. Each entry of
   * the result is its request's answer or refusal; if the commit itself fails, this throws and none
   * of them was cosigned.
   */
  cosignAll(prepared: readonly PreparedCheckpoint[]): (AddCheckpointResult | WitnessError)[] {
    return this.#state.batch(() =>
      prepared.map((p) => {
        try {
          return this.cosign(p);
        } catch (err) {
          if (err instanceof WitnessError) return err;
          throw err;
        }
      }),
    );
  }

  /** The whole add-checkpoint step for one request, durable on return. */
  addCheckpoint(body: Uint8Array): AddCheckpointResult {
    const p = this.prepare(body);
    return this.#state.batch(() => this.cosign(p));
  }

  #check(old: bigint, proof: Uint8Array[], c: Checkpoint, current: LogState | undefined): void {
    const latest = current?.size ?? 0n;
    if (old !== latest) {
      throw new WitnessError('CONFLICT', `old size ${old} is not the latest cosigned size ${latest}`, latest);
    }
    if (current === undefined) {
      if (proof.length !== 0) throw new WitnessError('BAD_PROOF', 'proof from size 0 must be empty');
      return;
    }
    if (old === c.size) {
      if (!sameBytes(current.rootHash, c.rootHash)) {
        // DESIGN 3.5 (binding) answers 422 here; the C2SP text says 409. The log side reads both.
        throw new WitnessError('BAD_PROOF', `size ${old} was cosigned with another root hash`);
      }
      if (proof.length !== 0) throw new WitnessError('BAD_PROOF', 'proof between equal sizes must be empty');
      return;
    }
    if (old === 0n) {
      if (proof.length !== 0) throw new WitnessError('BAD_PROOF', 'proof from size 0 must be empty');
      return;
    }
    try {
      verifyConsistency(old, c.size, current.rootHash, c.rootHash, proof);
    } catch (err) {
      if (err instanceof TlogError)
        throw new WitnessError('BAD_PROOF', `consistency ${old}->${c.size}: ${err.code}`);
      throw err;
    }
  }

  /** The latest cosigned note of the origin whose hex SHA-256 is given, if any. */
  latest(hexOriginHash: string): string | undefined {
    const origin = this.#byHash.get(hexOriginHash);
    return origin === undefined ? undefined : this.#state.get(origin)?.note;
  }
}

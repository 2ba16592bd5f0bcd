// The common case of checkLeafSignature read from the leaf's bytes: one signature line, by a known
// Ed25519 key, over a text that is plainly well formed. It decides only "this leaf passes": anything
// it does not recognise (a second signature line, an escape in a top-level key, a signature that
// fails) goes to the full check, which gives the verdict and its message. So it may refuse what the
// full check accepts, never the reverse: every condition below implies one of the full check's.
// Skipped on this path: decoding the leaf to a string and encoding its text back, regular
// expressions over the text and the signature, and building the change object to read its cluster.
import { isUtf8 } from 'node:buffer';
import { getCrypto, KEY_TYPE_ED25519, type PublicKey } from '../../../packages/tlog/index.js';

const NL = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** "— " (U+2014 EM DASH, space) in UTF-8: how a signature line starts. */
const SIG_PREFIX = [0xe2, 0x80, 0x94, 0x20];
/** base64 of a 4-byte key id and a 64-byte Ed25519 signature: 92 characters, one '=' of padding. */
const SIG_BASE64_CHARS = 92;
const CLUSTER_KEY = Buffer.from('cluster');

/**
 * True when the leaf is a note whose only signature is a valid one by a key of `keys` named
 * `collector/<cluster>`, where cluster is the JSON text's top-level "cluster" string. False means
 * "not decided here", never "invalid".
 */
export function leafPassesFast(leaf: Uint8Array, keys: readonly PublicKey[], maxBytes: number): boolean {
  const n = leaf.length;
  if (n > maxBytes || n < 4 || leaf[n - 1] !== NL) return false;
  const b = Buffer.from(leaf.buffer, leaf.byteOffset, n);
  // The last blank line ends the text; the one line after it is the signature.
  const split = b.lastIndexOf('\n\n');
  if (split < 1 || leaf[split - 1] === NL) return false;
  const textEnd = split + 1;
  // Text: no control character but newline, no line ending in a space.
  for (let i = 0; i < textEnd; i++) {
    const c = leaf[i] as number;
    if (c < SPACE && c !== NL) return false;
    if (c === NL && i > 0 && leaf[i - 1] === SPACE) return false;
  }
  if (!isUtf8(leaf)) return false;

  // Signature line: "— <name> <base64>" and nothing else (no control character, one line).
  const line = textEnd + 1;
  const lineEnd = n - 1;
  for (let k = 0; k < 4; k++) if (leaf[line + k] !== SIG_PREFIX[k]) return false;
  const nameStart = line + 4;
  const space = b.indexOf(SPACE, nameStart);
  if (space < 0 || space >= lineEnd) return false;
  const sigStart = space + 1;
  if (lineEnd - sigStart !== SIG_BASE64_CHARS) return false;
  for (let i = nameStart; i < lineEnd; i++) if ((leaf[i] as number) < SPACE) return false;
  const b64 = b.toString('latin1', sigStart, lineEnd);
  const raw = Buffer.from(b64, 'base64');
  // Canonical base64 only (what decodeBase64 accepts): it must encode back to the same text.
  if (raw.length !== 68 || raw.toString('base64') !== b64) return false;
  const keyId = raw.readUInt32BE(0);
  const name = b.toString('latin1', nameStart, space);

  let verified: PublicKey | undefined;
  for (const k of keys) {
    if (k.name !== name || k.keyId >>> 0 !== keyId) continue;
    if (k.type !== KEY_TYPE_ED25519 || k.publicKey.length !== 32) return false;
    // A key that does not verify is a failure with its own message: the full check reports it.
    if (!getCrypto().ed25519Verify(k.publicKey, leaf.subarray(0, textEnd), raw.subarray(4))) return false;
    verified = k;
  }
  if (verified === undefined) return false;
  const cluster = topLevelCluster(leaf, textEnd);
  return cluster !== undefined && name === `collector/${cluster}`;
}

/**
 * The top-level "cluster" member of the JSON text in leaf[0, end), when the text is valid JSON (as
 * JSON.parse reads it), that member is a string, and neither it nor any top-level key has an
 * escape. Undefined otherwise (the caller then asks JSON.parse).
 */
export function topLevelCluster(leaf: Uint8Array, end: number): string | undefined {
  const s = new JsonScan(leaf, end);
  s.ws();
  if (leaf[s.i] !== 0x7b) return undefined; // {
  s.i++;
  s.ws();
  let cluster: string | undefined;
  if (leaf[s.i] === 0x7d) s.i++;
  else {
    for (;;) {
      const keyStart = s.i + 1;
      if (leaf[s.i] !== QUOTE || !s.string()) return undefined;
      const keyEnd = s.i - 1;
      s.ws();
      if (leaf[s.i] !== 0x3a) return undefined; // :
      s.i++;
      s.ws();
      const isCluster =
        keyEnd - keyStart === CLUSTER_KEY.length &&
        CLUSTER_KEY.equals(leaf.subarray(keyStart, keyEnd)) &&
        !s.escaped;
      if (!isCluster && s.escaped) return undefined; // an escaped key might spell "cluster"
      const valueStart = s.i + 1;
      const isString = leaf[s.i] === QUOTE;
      if (!s.value()) return undefined;
      if (isCluster) {
        // Last one wins, as in JSON.parse; a non-string or escaped value is left to the full check.
        if (!isString || s.escaped) return undefined;
        cluster = Buffer.from(leaf.buffer, leaf.byteOffset + valueStart, s.i - 1 - valueStart).toString(
          'utf8',
        );
      }
      s.ws();
      const c = leaf[s.i];
      s.i++;
      if (c === 0x7d) break; // }
      if (c !== 0x2c) return undefined; // ,
      s.ws();
    }
  }
  s.ws();
  return s.i === end ? cluster : undefined;
}

/** A JSON validator over bytes (ECMA-404, as JSON.parse), iterative so depth costs no stack. */
class JsonScan {
  i = 0;
  /** Whether the last string read had an escape. */
  escaped = false;
  constructor(
    readonly b: Uint8Array,
    readonly end: number,
  ) {}

  ws(): void {
    const b = this.b;
    while (this.i < this.end) {
      const c = b[this.i];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.i++;
    }
  }

  /** At a quote: reads the string, leaving i after its closing quote. */
  string(): boolean {
    const b = this.b;
    this.escaped = false;
    let i = this.i + 1;
    while (i < this.end) {
      const c = b[i] as number;
      if (c === QUOTE) {
        this.i = i + 1;
        return true;
      }
      if (c < 0x20) return false;
      if (c === BACKSLASH) {
        this.escaped = true;
        const e = b[i + 1];
        if (e === 0x75) {
          // \uXXXX
          for (let k = 2; k < 6; k++) if (!isHex(b[i + k])) return false;
          i += 6;
          continue;
        }
        if (
          e !== QUOTE &&
          e !== BACKSLASH &&
          e !== 0x2f &&
          e !== 0x62 &&
          e !== 0x66 &&
          e !== 0x6e &&
          e !== 0x72 &&
          e !== 0x74
        )
          return false;
        i += 2;
        continue;
      }
      i++;
    }
    return false;
  }

  /** Reads any JSON value; nested containers are tracked on an explicit stack. */
  value(): boolean {
    const b = this.b;
    const stack: number[] = [];
    for (;;) {
      this.ws();
      const c = b[this.i];
      let done = false;
      if (c === QUOTE) {
        if (!this.string()) return false;
        done = true;
      } else if (c === 0x7b || c === 0x5b) {
        // { or [
        this.i++;
        this.ws();
        const close = c === 0x7b ? 0x7d : 0x5d;
        if (b[this.i] === close) {
          this.i++;
          done = true;
        } else {
          stack.push(close);
          if (close === 0x7d && !this.memberKey()) return false;
          continue;
        }
      } else if (!this.scalar()) return false;
      else done = true;
      // After a complete value: close containers or move to the next element.
      while (done) {
        if (stack.length === 0) return true;
        this.ws();
        const d = b[this.i];
        const top = stack[stack.length - 1];
        if (d === top) {
          this.i++;
          stack.pop();
          continue;
        }
        if (d !== 0x2c) return false;
        this.i++;
        if (top === 0x7d) {
          this.ws();
          if (!this.memberKey()) return false;
        }
        done = false;
      }
    }
  }

  /** Inside an object: `"key" :`, leaving i at the value. */
  private memberKey(): boolean {
    if (this.b[this.i] !== QUOTE || !this.string()) return false;
    this.ws();
    if (this.b[this.i] !== 0x3a) return false;
    this.i++;
    return true;
  }

  /** true, false, null or a number. */
  private scalar(): boolean {
    const b = this.b;
    const c = b[this.i];
    if (c === 0x74) return this.literal('true');
    if (c === 0x66) return this.literal('false');
    if (c === 0x6e) return this.literal('null');
    let i = this.i;
    if (b[i] === 0x2d) i++; // -
    if (b[i] === 0x30) i++;
    else if (isDigit19(b[i])) while (isDigit(b[i])) i++;
    else return false;
    if (b[i] === 0x2e) {
      i++;
      if (!isDigit(b[i])) return false;
      while (isDigit(b[i])) i++;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!isDigit(b[i])) return false;
      while (isDigit(b[i])) i++;
    }
    if (i > this.end) return false;
    this.i = i;
    return true;
  }

  private literal(word: string): boolean {
    if (this.i + word.length > this.end) return false;
    for (let k = 0; k < word.length; k++) if (this.b[this.i + k] !== word.charCodeAt(k)) return false;
    this.i += word.length;
    return true;
  }
}

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const isDigit19 = (c: number | undefined) => c !== undefined && c >= 0x31 && c <= 0x39;
const isHex = (c: number | undefined) =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

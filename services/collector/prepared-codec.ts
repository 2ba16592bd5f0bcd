// Prepared items as one flat buffer, so a worker hands a whole chunk of them to the main thread as a
// single transferred ArrayBuffer: a structured clone of the objects would cost the main thread about
// as much as preparing them. The main thread reads leaves and bodies as views into the buffer.
//
// Layout, little-endian; str is u32 byte length + UTF-8, bytes is u32 length + raw:
//   leaf:     u8 0, str msgId, bytes leaf, u32 bodies, bodies × (str sha256, bytes data)
//   skipped:  u8 1, str reason
//   rejected: u8 2, str code, str message, str sha256, bytes item
import type { ChangeErrorCode, SkipReason } from '../../packages/change/index.js';
import type { PreparedItem } from './prepare.js';

const LEAF = 0;
const SKIPPED = 1;
const REJECTED = 2;
/** Worst-case UTF-8 bytes per UTF-16 code unit. */
const MAX_UTF8_PER_UNIT = 3;

export interface EncodedChunk {
  buffer: ArrayBuffer;
  /** Bytes of buffer in use (it may be longer). */
  length: number;
}

/** Encodes items into a fresh ArrayBuffer (never a pooled one: it is meant to be transferred). */
export function encodePrepared(items: readonly PreparedItem[]): EncodedChunk {
  // Sized for the worst case so strings are written once, straight into place.
  let bound = 0;
  const str = (s: string) => 4 + s.length * MAX_UTF8_PER_UNIT;
  for (const p of items) {
    bound += 1;
    if (p.kind === 'leaf') {
      bound += str(p.msgId) + 4 + p.leaf.length + 4;
      for (const b of p.bodies) bound += str(b.sha256) + 4 + b.data.length;
    } else if (p.kind === 'skipped') {
      bound += str(p.reason);
    } else {
      bound += str(p.code) + str(p.message) + str(p.sha256) + 4 + p.bytes.length;
    }
  }
  const buffer = new ArrayBuffer(bound);
  const out = Buffer.from(buffer);
  let at = 0;
  const writeStr = (s: string) => {
    const n = out.write(s, at + 4, 'utf8');
    out.writeUInt32LE(n, at);
    at += 4 + n;
  };
  const writeBytes = (b: Uint8Array) => {
    out.writeUInt32LE(b.length, at);
    out.set(b, at + 4);
    at += 4 + b.length;
  };
  for (const p of items) {
    if (p.kind === 'leaf') {
      out[at++] = LEAF;
      writeStr(p.msgId);
      writeBytes(p.leaf);
      out.writeUInt32LE(p.bodies.length, at);
      at += 4;
      for (const b of p.bodies) {
        writeStr(b.sha256);
        writeBytes(b.data);
      }
    } else if (p.kind === 'skipped') {
      out[at++] = SKIPPED;
      writeStr(p.reason);
    } else {
      out[at++] = REJECTED;
      writeStr(p.code);
      writeStr(p.message);
      writeStr(p.sha256);
      writeBytes(p.bytes);
    }
  }
  return { buffer, length: at };
}

/** Decodes what encodePrepared wrote. The buffer comes from our own worker, not from a client. */
export function decodePrepared(buffer: ArrayBuffer, length: number): PreparedItem[] {
  const data = Buffer.from(buffer, 0, length);
  const items: PreparedItem[] = [];
  let at = 0;
  const u32 = () => {
    const v = data.readUInt32LE(at);
    at += 4;
    return v;
  };
  const readStr = () => {
    const n = u32();
    at += n;
    return data.toString('utf8', at - n, at);
  };
  const readBytes = () => {
    const n = u32();
    at += n;
    return data.subarray(at - n, at);
  };
  while (at < length) {
    const kind = data[at++];
    if (kind === LEAF) {
      const msgId = readStr();
      const leaf = readBytes();
      const bodies: { sha256: string; data: Uint8Array }[] = [];
      for (let n = u32(); n > 0; n--) bodies.push({ sha256: readStr(), data: readBytes() });
      items.push({ kind: 'leaf', msgId, leaf, bodies });
    } else if (kind === SKIPPED) {
      items.push({ kind: 'skipped', reason: readStr() as SkipReason });
    } else if (kind === REJECTED) {
      const code = readStr() as ChangeErrorCode;
      const message = readStr();
      const sha256 = readStr();
      items.push({ kind: 'rejected', code, message, sha256, bytes: readBytes() });
    } else {
      throw new Error(`prepared chunk: unknown item kind ${kind} at ${at - 1}`);
    }
  }
  return items;
}

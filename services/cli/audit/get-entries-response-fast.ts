// A GetEntriesResponse read straight from its wire bytes, without building a message per entry:
// the audit's hot path. The answer comes from the server and is hostile: every length and offset is
// checked before use, and anything this reader does not expect (a known field with another wire
// type, a group, a varint past 64 bits) is refused as a whole. What it accepts, protobuf-es's
// fromBinary reads the same way (tested against it, truncated and garbled input included); fields
// it does not know are skipped, so a newer server can add some.
import { isUtf8 } from 'node:buffer';

/** Thrown for an answer that is not a well-formed GetEntriesResponse. */
export class EntriesWireError extends Error {
  override readonly name = 'EntriesWireError';
  readonly code = 'MALFORMED';
}

/** One body kept outside its leaf: views into the answer's bytes. */
export interface BodyView {
  /** Position of its entry in the answer. */
  entry: number;
  /** The sha256 string's bytes, as sent (lower-case hex when honest). */
  sha256: Uint8Array;
  data: Uint8Array;
}

/** Where the entries of one answer lie in its bytes (offsets into `bytes`; nothing is copied). */
export interface EntriesView {
  bytes: Uint8Array;
  count: number;
  /** Per entry, its index as two 32-bit halves: low, high. */
  indexes: Uint32Array;
  /** Per entry: leaf start, leaf end, claimed leaf hash start, claimed leaf hash end. */
  spans: Uint32Array;
  bodies: BodyView[];
}

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

function malformed(why: string, at: number): never {
  throw new EntriesWireError(`GetEntries answer: ${why} at byte ${at}`);
}

/**
 * A cursor over a byte range. Varints are read into lo/hi halves so no 64-bit value needs a
 * bigint; positions stay below 2^32 (a gRPC answer is capped far below that).
 */
class Reader {
  pos: number;
  lo = 0;
  hi = 0;
  constructor(
    readonly b: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** Reads a varint of at most 64 bits into lo/hi. */
  varint(): void {
    const b = this.b;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) malformed('truncated varint', this.pos);
      const byte = b[this.pos++] as number;
      const bits = byte & 0x7f;
      if (i < 4) lo |= bits << shift;
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi = bits >>> 4;
      } else {
        // The tenth byte holds bit 63 only; more would not fit 64 bits.
        if (i === 9 && bits > 1) malformed('varint beyond 64 bits', this.pos - 1);
        hi |= bits << (shift - 32);
      }
      shift += 7;
      if ((byte & 0x80) === 0) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    malformed('varint longer than 10 bytes', this.pos);
  }

  /** A length-delimited field's payload start; the field's end is `start + this.lo`. */
  length(): number {
    this.varint();
    if (this.hi !== 0 || this.lo > this.end - this.pos) malformed('length beyond the message', this.pos);
    return this.pos;
  }

  /** Reads a tag; returns field number * 8 + wire type, after checking both. */
  tag(): number {
    const at = this.pos;
    this.varint();
    const field = this.hi === 0 ? this.lo >>> 3 : 0;
    if (this.hi !== 0 || this.lo > 0xffffffff || field === 0) malformed('invalid tag', at);
    return this.lo;
  }

  /** Skips a field this reader does not know. Groups are refused (proto3 answers never use them). */
  skip(wireType: number, at: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.advance(8, at);
        return;
      case LEN: {
        const start = this.length();
        this.pos = start + this.lo;
        return;
      }
      case FIXED32:
        this.advance(4, at);
        return;
      default:
        malformed(`wire type ${wireType}`, at);
    }
  }

  private advance(n: number, at: number): void {
    if (this.end - this.pos < n) malformed('truncated field', at);
    this.pos += n;
  }
}

/** Reads a GetEntriesResponse. Throws EntriesWireError for anything malformed. */
export function readEntries(bytes: Uint8Array): EntriesView {
  const r = new Reader(bytes, 0, bytes.length);
  // Grown by doubling; an honest answer has up to a few thousand entries.
  let indexes = new Uint32Array(2 * 1024);
  let spans = new Uint32Array(4 * 1024);
  const bodies: BodyView[] = [];
  let count = 0;
  while (r.pos < r.end) {
    const at = r.pos;
    const tag = r.tag();
    if (tag >>> 3 !== 1) {
      r.skip(tag & 7, at);
      continue;
    }
    if ((tag & 7) !== LEN) malformed('entries field is not length-delimited', at);
    const start = r.length();
    const end = start + r.lo;
    if (2 * count + 2 > indexes.length) {
      const grownIndexes = new Uint32Array(indexes.length * 2);
      grownIndexes.set(indexes);
      indexes = grownIndexes;
      const grownSpans = new Uint32Array(spans.length * 2);
      grownSpans.set(spans);
      spans = grownSpans;
    }
    readEntry(bytes, start, end, count, indexes, spans, bodies);
    r.pos = end;
    count++;
  }
  return {
    bytes,
    count,
    indexes: indexes.subarray(0, 2 * count),
    spans: spans.subarray(0, 4 * count),
    bodies,
  };
}

function readEntry(
  bytes: Uint8Array,
  start: number,
  end: number,
  n: number,
  indexes: Uint32Array,
  spans: Uint32Array,
  bodies: BodyView[],
): void {
  const r = new Reader(bytes, start, end);
  // Absent fields are their defaults: index 0, empty leaf and hash. A repeated singular field
  // keeps its last value, as protobuf readers do.
  let lo = 0;
  let hi = 0;
  let leafStart = start;
  let leafEnd = start;
  let hashStart = start;
  let hashEnd = start;
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field < 1 || field > 4) {
      r.skip(wire, at);
      continue;
    }
    if (field === 1) {
      if (wire !== VARINT) malformed('entry index is not a varint', at);
      r.varint();
      lo = r.lo;
      hi = r.hi;
      continue;
    }
    if (wire !== LEN) malformed(`entry field ${field} is not length-delimited`, at);
    const s = r.length();
    const e = s + r.lo;
    r.pos = e;
    if (field === 2) {
      leafStart = s;
      leafEnd = e;
    } else if (field === 3) {
      hashStart = s;
      hashEnd = e;
    } else {
      bodies.push(readBody(bytes, s, e, n));
    }
  }
  indexes[2 * n] = lo;
  indexes[2 * n + 1] = hi;
  spans[4 * n] = leafStart;
  spans[4 * n + 1] = leafEnd;
  spans[4 * n + 2] = hashStart;
  spans[4 * n + 3] = hashEnd;
}

function readBody(bytes: Uint8Array, start: number, end: number, entry: number): BodyView {
  const r = new Reader(bytes, start, end);
  let sha = bytes.subarray(start, start);
  let data = sha;
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.tag();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field !== 1 && field !== 2) {
      r.skip(wire, at);
      continue;
    }
    if (wire !== LEN) malformed(`body field ${field} is not length-delimited`, at);
    const s = r.length();
    const e = s + r.lo;
    r.pos = e;
    if (field === 1) {
      sha = bytes.subarray(s, e);
      // A proto3 string is UTF-8; protobuf-es refuses the answer otherwise, and so does this reader.
      if (!isUtf8(sha)) malformed('body digest is not UTF-8', s);
    } else data = bytes.subarray(s, e);
  }
  return { entry, sha256: sha, data };
}

/** Entry i's index as a bigint (for messages and the rare index beyond 2^53). */
export function indexAt(v: EntriesView, i: number): bigint {
  return (BigInt(v.indexes[2 * i + 1] ?? 0) << 32n) | BigInt(v.indexes[2 * i] ?? 0);
}

/** Whether entry i's index is exactly `want` (a Number below 2^53). */
export function indexIs(v: EntriesView, i: number, want: number): boolean {
  return (
    (v.indexes[2 * i] ?? -1) === want % 0x100000000 &&
    (v.indexes[2 * i + 1] ?? -1) === Math.floor(want / 0x100000000)
  );
}

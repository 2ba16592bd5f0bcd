// The hand reader of GetEntries answers against protobuf-es: the same entries from every encoding
// protobuf-es writes, and, on truncated or garbled answers, either a clean refusal or exactly what
// fromBinary reads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { GetEntriesResponseSchema } from '../../../packages/proto/index.js';
import { type EntriesView, EntriesWireError, indexAt, readEntries } from './get-entries-response-fast.js';

const utf8 = new TextDecoder();

/** The view as protobuf-es shapes it, for comparison. */
function shape(v: EntriesView) {
  const { bytes, spans } = v;
  return Array.from({ length: v.count }, (_, i) => ({
    index: indexAt(v, i),
    leaf: Buffer.from(bytes.subarray(spans[4 * i], spans[4 * i + 1])).toString('hex'),
    leafHash: Buffer.from(bytes.subarray(spans[4 * i + 2], spans[4 * i + 3])).toString('hex'),
    bodies: v.bodies
      .filter((b) => b.entry === i)
      .map((b) => ({ sha256: utf8.decode(b.sha256), data: Buffer.from(b.data).toString('hex') })),
  }));
}

function expected(bytes: Uint8Array) {
  return fromBinary(GetEntriesResponseSchema, bytes).entries.map((e) => ({
    index: e.index,
    leaf: Buffer.from(e.leaf).toString('hex'),
    leafHash: Buffer.from(e.leafHash).toString('hex'),
    bodies: e.bodies.map((b) => ({ sha256: b.sha256, data: Buffer.from(b.data).toString('hex') })),
  }));
}

const sample = () =>
  toBinary(
    GetEntriesResponseSchema,
    create(GetEntriesResponseSchema, {
      entries: [
        { index: 0n, leaf: new Uint8Array(0), leafHash: new Uint8Array(0) },
        { index: 1n, leaf: new Uint8Array(300).fill(7), leafHash: new Uint8Array(32).fill(1) },
        {
          index: 300n,
          leaf: new Uint8Array([1, 2, 3]),
          leafHash: new Uint8Array(31),
          bodies: [
            { sha256: 'ab'.repeat(32), data: new Uint8Array([9, 9]) },
            { sha256: '', data: new Uint8Array(0) },
          ],
        },
        { index: (1n << 64n) - 1n, leaf: new Uint8Array([0x0a]), leafHash: new Uint8Array(32).fill(0xff) },
        { index: 1n << 53n, leaf: new TextEncoder().encode('x\n\n— a b\n') },
      ],
    }),
  );

/** A deterministic generator, so a failure reproduces. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s;
  };
}

function agrees(bytes: Uint8Array, what: string) {
  let got: ReturnType<typeof shape> | undefined;
  try {
    got = shape(readEntries(bytes));
  } catch (err) {
    assert.ok(err instanceof EntriesWireError, `${what}: ${String(err)}`);
    return false;
  }
  // Whatever this reader accepts, protobuf-es must read identically.
  assert.deepEqual(got, expected(bytes), what);
  return true;
}

describe('readEntries', () => {
  it('reads what protobuf-es writes', () => {
    const bytes = sample();
    assert.deepEqual(shape(readEntries(bytes)), expected(bytes));
    assert.equal(readEntries(new Uint8Array(0)).count, 0);
  });

  it('skips unknown fields and keeps the last of a repeated singular field, as protobuf-es does', () => {
    const entry = [
      0x08,
      0x05, // index 5
      0x12,
      0x01,
      0x41, // leaf "A"
      0x28,
      0x96,
      0x01, // field 5 varint (unknown)
      0x31,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // field 6 fixed64
      0x3a,
      0x02,
      0x00,
      0x00, // field 7 bytes
      0x45,
      1,
      2,
      3,
      4, // field 8 fixed32
      0x12,
      0x01,
      0x42, // leaf again: "B" wins
      0x08,
      0x07, // index again: 7 wins
    ];
    const bytes = new Uint8Array([0x10, 0x01, 0x0a, entry.length, ...entry, 0x1a, 0x00]);
    assert.equal(agrees(bytes, 'unknown fields'), true);
    assert.equal(indexAt(readEntries(bytes), 0), 7n);
  });

  it('refuses, never crashes on, every truncation of an answer', () => {
    const bytes = sample();
    for (let n = 0; n < bytes.length; n++) agrees(bytes.subarray(0, n), `first ${n} bytes`);
  });

  it('refuses or agrees with protobuf-es on garbled answers', () => {
    const base = sample();
    const next = prng(6);
    let accepted = 0;
    for (let k = 0; k < 5000; k++) {
      const bytes = base.slice();
      for (let m = 0; m <= k % 3; m++) bytes[next() % bytes.length] = next() & 0xff;
      if (agrees(bytes, `case ${k}`)) accepted++;
    }
    assert.ok(accepted > 100, `only ${accepted} garbled answers were still valid`);
  });

  it('reads every answer protobuf-es writes as protobuf-es reads it (property)', () => {
    const bytesArb = (max: number) => fc.uint8Array({ maxLength: max });
    const entry = fc.record({
      index: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      leaf: bytesArb(200),
      leafHash: bytesArb(40),
      bodies: fc.array(fc.record({ sha256: fc.string({ maxLength: 70 }), data: bytesArb(50) }), {
        maxLength: 3,
      }),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), (entries) => {
        const bytes = toBinary(GetEntriesResponseSchema, create(GetEntriesResponseSchema, { entries }));
        assert.deepEqual(shape(readEntries(bytes)), expected(bytes));
      }),
    );
  });

  it('refuses or agrees with protobuf-es on arbitrary bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void agrees(bytes, 'arbitrary')));
  });

  const refusals: [string, number[]][] = [
    ['a group', [0x0b, 0x0c]],
    ['an index that is not a varint', [0x0a, 0x02, 0x0a, 0x00]],
    ['entries that are not length-delimited', [0x08, 0x01]],
    [
      'a varint beyond 64 bits',
      [0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
    ],
    ['a length beyond the answer', [0x0a, 0x05, 0x08, 0x01]],
    ['field number 0', [0x02, 0x00]],
    ['wire type 7', [0x0f]],
  ];
  for (const [what, bytes] of refusals) {
    it(`refuses ${what}`, () => {
      assert.throws(() => readEntries(new Uint8Array(bytes)), EntriesWireError);
    });
  }
});

// Protobuf varints for the answers the ledger encodes by hand (inclusion proofs, entries): values
// below 2^53, written as numbers, so no bigint on the hot path.

/** Bytes a varint of `v` takes on the wire. */
export function varintLength(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Writes `v` as a varint at `at`; returns the position after it. */
export function writeVarint(out: Uint8Array, at: number, v: number): number {
  while (v >= 128) {
    out[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}

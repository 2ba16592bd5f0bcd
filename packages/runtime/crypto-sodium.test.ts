// The libsodium provider must give node:crypto's verdict on every input, the edge cases of Ed25519
// included (small-order and mixed-order points, non-canonical encodings, scalars >= L), and sign
// the same bytes. The edge cases are built here from the curve arithmetic of @noble/curves.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { getCrypto } from '../tlog/index.js';
import { selectCrypto } from './crypto-choice.js';
import { loadSodiumCrypto } from './crypto-sodium.js';

// The core's default on Node.js, before any choice.
const nodeCrypto = getCrypto();
const loaded = loadSodiumCrypto(nodeCrypto);
const skip = loaded instanceof Error ? `libsodium not loadable here: ${loaded.message}` : false;
const sodium = loaded instanceof Error ? nodeCrypto : loaded;
const rawVerify = skip
  ? () => false
  : (
      createRequire(import.meta.url)('sodium-native') as {
        crypto_sign_verify_detached(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean;
      }
    ).crypto_sign_verify_detached;

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const Point = ed25519.Point;
type Pt = InstanceType<typeof Point>;

const le = (n: bigint, bytes = 32): Uint8Array => {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const fromLe = (b: Uint8Array): bigint => {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] ?? 0);
  return n;
};
const mod = (n: bigint, m: bigint) => ((n % m) + m) % m;
/** k = SHA-512(R || A || M) mod L, as every Ed25519 verifier computes it. */
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint =>
  mod(fromLe(createHash('sha512').update(r).update(a).update(m).digest()), L);
const sig = (r: Uint8Array, s: bigint) => {
  const out = new Uint8Array(64);
  out.set(r);
  out.set(le(s), 32);
  return out;
};
const mul = (p: Pt, n: bigint): Pt => p.multiplyUnsafe(mod(n, L));

/** Every encoding of the small-order points: the eight canonical ones and the non-canonical ones. */
function smallOrderEncodings(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const hex of ED25519_TORSION_SUBGROUP) {
    const canonical = new Uint8Array(Buffer.from(hex, 'hex'));
    out.push(canonical);
    const y = fromLe(canonical) & ((1n << 255n) - 1n);
    const sign = (canonical[31] ?? 0) & 0x80;
    // y + p where it still fits in 255 bits, with both signs of x.
    if (y + P < 1n << 255n) {
      for (const bit of [0, 0x80]) {
        const e = le(y + P);
        e[31] = (e[31] ?? 0) | bit;
        out.push(e);
      }
    }
    // x = 0 with its sign bit set (the "negative zero" encodings of y = 1 and y = -1).
    if (sign === 0 && (y === 1n || y === P - 1n)) {
      const e = canonical.slice();
      e[31] = (e[31] ?? 0) | 0x80;
      out.push(e);
    }
  }
  return out;
}

interface Case {
  name: string;
  pk: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
}

function edgeCases(): Case[] {
  const cases: Case[] = [];
  const msg = new TextEncoder().encode('ingress-ledger edge case');
  const small = smallOrderEncodings();
  // Small-order A and R, S = 0 and S = 1.
  for (const a of small) {
    for (const r of small) {
      for (const s of [0n, 1n]) cases.push({ name: 'small A, small R', pk: a, msg, sig: sig(r, s) });
    }
  }
  // A key with a scalar we know, mixed with each torsion point; R = [r]B + T' for each T'. The
  // cofactorless equation holds when T' = -[k]T, which happens for some of the eight T'.
  const torsion = ED25519_TORSION_SUBGROUP.map((h) => Point.fromHex(h));
  const a = mod(fromLe(randomBytes(32)), L) || 1n;
  const r = mod(fromLe(randomBytes(32)), L) || 1n;
  for (const t of torsion) {
    const pk = mul(Point.BASE, a).add(t).toBytes();
    for (const t2 of torsion) {
      const rb = mul(Point.BASE, r).add(t2).toBytes();
      const s = mod(r + challenge(rb, pk, msg) * a, L);
      cases.push({ name: 'mixed-order A and R', pk, msg, sig: sig(rb, s) });
      cases.push({ name: 'mixed-order A and R, S + L', pk, msg, sig: sig(rb, s + L) });
    }
    // Small-order R only: [S]B = R + [k]A holds exactly when R = -[k]T.
    for (const t2 of torsion) {
      const rb = t2.toBytes();
      const s = mod(challenge(rb, pk, msg) * a, L);
      cases.push({ name: 'mixed-order A, small R', pk, msg, sig: sig(rb, s) });
    }
  }
  // An honest key and R = the identity: S = k * a satisfies the equation, and only the key's
  // holder can make it. OpenSSL accepts it; libsodium refuses small-order R.
  const honest = mul(Point.BASE, a).toBytes();
  const identity = Point.ZERO.toBytes();
  cases.push({
    name: 'honest A, identity R',
    pk: honest,
    msg,
    sig: sig(identity, mod(challenge(identity, honest, msg) * a, L)),
  });
  // Non-canonical public keys of honest points (y + p) where they exist are all small-order ones
  // above; a public key that is not on the curve:
  for (let i = 0; i < 8; i++) {
    const pk = new Uint8Array(randomBytes(32));
    cases.push({ name: 'random public key', pk, msg, sig: new Uint8Array(randomBytes(64)) });
  }
  return cases;
}

describe('libsodium provider', { skip }, () => {
  it('is what a service start chooses unless INGRESS_LEDGER_CRYPTO=node:crypto', () => {
    assert.equal(nodeCrypto.name, 'node:crypto');
    assert.deepEqual(selectCrypto({}), { provider: 'libsodium' });
    assert.equal(getCrypto().name, 'libsodium');
    assert.deepEqual(selectCrypto({ INGRESS_LEDGER_CRYPTO: 'node:crypto' }), { provider: 'node:crypto' });
    assert.equal(getCrypto().name, 'node:crypto');
    assert.deepEqual(selectCrypto({ INGRESS_LEDGER_CRYPTO: 'openssl' }), {
      provider: 'libsodium',
      fallback: 'INGRESS_LEDGER_CRYPTO=openssl is neither libsodium nor node:crypto; using libsodium',
    });
    selectCrypto({});
  });

  it('signs the same bytes as node:crypto and verifies its signatures', () => {
    for (let i = 0; i < 200; i++) {
      const seed = new Uint8Array(randomBytes(32));
      const msg = new Uint8Array(randomBytes(i * 11));
      const pub = nodeCrypto.ed25519PublicKey(seed);
      assert.deepEqual(sodium.ed25519PublicKey(seed), pub);
      const s = nodeCrypto.ed25519Sign(seed, msg);
      assert.deepEqual(sodium.ed25519Sign(seed, msg), s);
      assert.equal(sodium.ed25519Verify(pub, msg, s), true);
      // A view into a larger buffer, as the ledger passes leaves.
      const big = new Uint8Array(msg.length + 7);
      big.set(msg, 5);
      assert.equal(sodium.ed25519Verify(pub, big.subarray(5, 5 + msg.length), s), true);
      const bad = s.slice();
      bad[i % 64] = (bad[i % 64] ?? 0) ^ 0x10;
      assert.equal(sodium.ed25519Verify(pub, msg, bad), nodeCrypto.ed25519Verify(pub, msg, bad));
    }
  });

  it("gives node:crypto's verdict on every Ed25519 edge case", () => {
    const cases = edgeCases();
    let accepted = 0;
    for (const c of cases) {
      const want = nodeCrypto.ed25519Verify(c.pk, c.msg, c.sig);
      assert.equal(sodium.ed25519Verify(c.pk, c.msg, c.sig), want, `${c.name}: verdict differs`);
      // The fast path alone never accepts what node:crypto refuses.
      if (rawVerify(c.sig, c.msg, c.pk)) assert.equal(want, true, `${c.name}: libsodium alone accepts`);
      if (want) accepted++;
    }
    // The cases are worth having only if some of them are accepted.
    assert.ok(accepted > 8, `only ${accepted} of ${cases.length} edge cases verify`);
  });

  it('takes node:crypto\'s "valid" where libsodium alone refuses (identity R)', () => {
    const c = edgeCases().find((x) => x.name === 'honest A, identity R');
    assert.ok(c !== undefined);
    assert.equal(rawVerify(c.sig, c.msg, c.pk), false);
    assert.equal(nodeCrypto.ed25519Verify(c.pk, c.msg, c.sig), true);
    assert.equal(sodium.ed25519Verify(c.pk, c.msg, c.sig), true);
  });

  it('refuses wrong lengths without calling either library', () => {
    const seed = new Uint8Array(32).fill(7);
    const pub = sodium.ed25519PublicKey(seed);
    const s = sodium.ed25519Sign(seed, new Uint8Array(3));
    assert.equal(sodium.ed25519Verify(pub.subarray(1), new Uint8Array(3), s), false);
    assert.equal(sodium.ed25519Verify(pub, new Uint8Array(3), s.subarray(0, 63)), false);
    assert.throws(() => sodium.ed25519Sign(new Uint8Array(31), new Uint8Array()), RangeError);
  });
});

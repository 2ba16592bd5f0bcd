import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { getCrypto, setCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';

// libsodium, which services put in place at their start, is tested in packages/runtime.
const providers = [nodeCrypto, nobleCrypto];

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// RFC 8032 section 7.1, TEST 1 (empty message), TEST 2 (one byte) and TEST 3 (two bytes).
const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pub: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('crypto providers', () => {
  const initial = getCrypto();
  after(() => setCrypto(initial));

  it('uses node:crypto on Node.js, whatever the environment says: the core reads none', () => {
    assert.equal(getCrypto().name, 'node:crypto');
    const script = `const t = await import(${JSON.stringify(new URL('./index.js', import.meta.url).href)});
      console.log(JSON.stringify(t.describeCrypto()));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, INGRESS_LEDGER_CRYPTO: 'libsodium' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { provider: 'node:crypto' });
  });

  for (const provider of providers) {
    describe(provider.name, () => {
      for (const [i, v] of RFC8032.entries()) {
        it(`matches RFC 8032 test ${i + 1}`, () => {
          assert.equal(toHex(provider.ed25519PublicKey(hex(v.seed))), v.pub);
          assert.equal(toHex(provider.ed25519Sign(hex(v.seed), hex(v.msg))), v.sig);
          assert.ok(provider.ed25519Verify(hex(v.pub), hex(v.msg), hex(v.sig)));
        });
      }

      it('rejects tampered, truncated and malformed signatures without throwing', () => {
        const v = RFC8032[1];
        assert.ok(v !== undefined);
        const sig = hex(v.sig);
        const flipped = sig.slice();
        flipped[10] = (flipped[10] ?? 0) ^ 1;
        assert.equal(provider.ed25519Verify(hex(v.pub), hex(v.msg), flipped), false);
        assert.equal(provider.ed25519Verify(hex(v.pub), hex('73'), sig), false);
        assert.equal(provider.ed25519Verify(hex(v.pub), hex(v.msg), sig.subarray(0, 63)), false);
        assert.equal(provider.ed25519Verify(hex(v.pub).subarray(1), hex(v.msg), sig), false);
        assert.equal(provider.ed25519Verify(new Uint8Array(32).fill(0xff), hex(v.msg), sig), false);
        // S >= L (non-canonical scalar) must be refused by both.
        const bigS = sig.slice();
        bigS.fill(0xff, 32);
        assert.equal(provider.ed25519Verify(hex(v.pub), hex(v.msg), bigS), false);
      });

      it('hashes the concatenation of its parts (FIPS 180-2 "abc")', () => {
        const abc = new TextEncoder().encode('abc');
        const want = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
        assert.equal(toHex(provider.sha256(abc)), want);
        assert.equal(toHex(provider.sha256(abc.subarray(0, 1), abc.subarray(1))), want);
        assert.equal(
          toHex(provider.sha256()),
          'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        );
      });

      it('refuses seeds that are not 32 bytes', () => {
        assert.throws(() => provider.ed25519Sign(new Uint8Array(31), new Uint8Array()), RangeError);
        assert.throws(() => provider.ed25519PublicKey(new Uint8Array(33)), RangeError);
      });
    });
  }

  it('agrees between providers on random keys and messages', () => {
    for (let i = 0; i < 20; i++) {
      const seed = globalThis.crypto.getRandomValues(new Uint8Array(32));
      const msg = globalThis.crypto.getRandomValues(new Uint8Array(i * 13));
      const pub = nodeCrypto.ed25519PublicKey(seed);
      assert.deepEqual(nobleCrypto.ed25519PublicKey(seed), pub);
      const sig = nodeCrypto.ed25519Sign(seed, msg);
      assert.deepEqual(nobleCrypto.ed25519Sign(seed, msg), sig);
      assert.ok(nobleCrypto.ed25519Verify(pub, msg, sig));
      assert.deepEqual(nobleCrypto.sha256(msg), nodeCrypto.sha256(msg));
    }
  });
});

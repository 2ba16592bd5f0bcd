// The fast path may only ever say "passes" where the full check passes too: held to it on honest
// leaves, a table of JSON corner cases, and thousands of garbled texts signed with a trusted key
// (so the signature is not what fails) and garbled leaves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../../../packages/change/index.js';
import { encodeBase64, generateKey, type PrivateKey, parseVkey } from '../../../packages/tlog/index.js';
import { sampleChange, signLeaf } from '../testing/memory-log.js';
import { checkLeafSignature } from './leaf-check.js';
import { leafPassesFast, topLevelCluster } from './leaf-check-fast.js';

const MAX = 65_535;
const prod = generateKey('collector/prod');
const dev = generateKey('collector/dev');
const keys = [parseVkey(prod.vkey), parseVkey(dev.vkey)];
const enc = new TextEncoder();

/** A note over any text bytes, signed by key (built by hand: signNote refuses malformed text). */
function noteOf(text: Uint8Array, key: PrivateKey): Uint8Array {
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, key.keyId >>> 0, false);
  const sig = encodeBase64(Buffer.concat([id, key.sign(text)]));
  return Buffer.concat([text, enc.encode(`\n— ${key.name} ${sig}\n`)]);
}

function fullPasses(leaf: Uint8Array): boolean {
  try {
    checkLeafSignature(leaf, keys, 0n);
    return true;
  } catch {
    return false;
  }
}

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s;
  };
}

describe('leafPassesFast', () => {
  it('passes honest leaves of every cluster', () => {
    for (let i = 0; i < 50; i++) {
      assert.equal(leafPassesFast(signLeaf(sampleChange(i), prod), keys, MAX), true);
      assert.equal(leafPassesFast(signLeaf(sampleChange(i, 'dev'), dev), keys, MAX), true);
    }
  });

  it("leaves another cluster's signature, unknown keys and two signatures to the full check", () => {
    const wrong = signLeaf(sampleChange(1, 'dev'), prod);
    assert.equal(leafPassesFast(wrong, keys, MAX), false);
    assert.equal(fullPasses(wrong), false);
    const stranger = signLeaf(sampleChange(1, 'x'), generateKey('collector/x'));
    assert.equal(leafPassesFast(stranger, keys, MAX), false);
    const honest = signLeaf(sampleChange(1), prod);
    const twice = Buffer.concat([
      honest,
      Buffer.from(honest).subarray(Buffer.from(honest).lastIndexOf('\n\n') + 2),
    ]);
    assert.equal(leafPassesFast(twice, keys, MAX), false);
    assert.equal(fullPasses(twice), true);
  });

  it('never passes a garbled text the full check refuses', () => {
    const next = prng(7);
    let fast = 0;
    for (let k = 0; k < 4000; k++) {
      const text = Buffer.from(`${canonicalJson(sampleChange(k))}\n`);
      for (let m = 0; m <= k % 3; m++) {
        // Mostly structural bytes, so JSON that stays valid is common.
        const pick = next() % 12;
        const byte = pick < 10 ? (Buffer.from('{}[]",:\\ 0')[pick] as number) : next() & 0xff;
        text[next() % (text.length - 1)] = byte;
      }
      const leaf = noteOf(text, k % 2 === 0 ? prod : dev);
      if (leafPassesFast(leaf, keys, MAX)) {
        fast++;
        assert.equal(fullPasses(leaf), true, `case ${k}: ${text}`);
      }
    }
    assert.ok(fast > 50, `only ${fast} garbled texts went the fast way`);
  });

  it('never passes a garbled leaf the full check refuses', () => {
    const next = prng(8);
    const honest = signLeaf(sampleChange(3), prod);
    for (let k = 0; k < 4000; k++) {
      const leaf = Buffer.from(honest);
      leaf[next() % leaf.length] = next() & 0xff;
      if (leafPassesFast(leaf, keys, MAX)) assert.equal(fullPasses(leaf), true, `case ${k}`);
    }
    for (let n = 0; n < honest.length; n++) {
      if (leafPassesFast(honest.subarray(0, n), keys, MAX))
        assert.equal(fullPasses(honest.subarray(0, n)), true);
    }
  });
  it('passes only what the full check passes, over arbitrary changes (property)', () => {
    // Any JSON object with any top-level cluster, signed by either trusted key.
    const change = fc.record({
      cluster: fc.oneof(fc.constantFrom('prod', 'dev'), fc.string({ maxLength: 8 })),
      rest: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    });
    fc.assert(
      fc.property(change, fc.boolean(), ({ cluster, rest }, byProd) => {
        const leaf = signLeaf({ ...rest, cluster }, byProd ? prod : dev);
        if (leafPassesFast(leaf, keys, MAX)) assert.equal(fullPasses(leaf), true);
      }),
    );
  });

  it('passes honest leaves of its own cluster however the change is shaped (property)', () => {
    const rest = fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 5,
    });
    fc.assert(
      fc.property(rest, (r) => {
        const { cluster: _, ...others } = r as { cluster?: unknown };
        const leaf = signLeaf({ ...sampleChange(1), ...others, cluster: 'prod' }, prod);
        assert.equal(fullPasses(leaf), true);
        assert.equal(leafPassesFast(leaf, keys, MAX), true);
      }),
    );
  });
});

describe('topLevelCluster', () => {
  it('reads the cluster as JSON.parse does, or leaves it to the full check (property)', () => {
    const text = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.record({ cluster: fc.string(), x: fc.jsonValue({ maxDepth: 2 }) }).map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(text, (t) => {
        const b = enc.encode(t);
        const got = topLevelCluster(b, b.length);
        if (got !== undefined) assert.equal(got, (JSON.parse(t) as { cluster: string }).cluster);
      }),
    );
  });

  const viaParse = (text: string): string | undefined => {
    try {
      const c = (JSON.parse(text) as { cluster?: unknown }).cluster;
      return typeof c === 'string' ? c : undefined;
    } catch {
      return undefined;
    }
  };
  const cases: [string, string | undefined][] = [
    ['{"cluster":"a"}', 'a'],
    [' {\t"x" : [1, -2.5e+3, true, false, null, {"cluster":"n"}],\r\n "cluster" : "b" } ', 'b'],
    ['{"cluster":"a","cluster":"b"}', 'b'],
    ['{"a":{"cluster":"nested"}}', undefined],
    ['{"cluster":"é✓"}', 'é✓'],
    ['{}', undefined],
    ['[]', undefined],
    ['{"cluster":1}', undefined],
    ['{"cluster":"a",}', undefined],
    ['{"cluster":"a"}x', undefined],
    ['{"n":01,"cluster":"a"}', undefined],
    ['{"n":1.,"cluster":"a"}', undefined],
    ['{"n":.5,"cluster":"a"}', undefined],
    ['{"n":-,"cluster":"a"}', undefined],
    ['{"n":1e,"cluster":"a"}', undefined],
    ['{"n":"\\x","cluster":"a"}', undefined],
    ['{"n":"\\u00e9\\n","cluster":"a"}', 'a'],
    ['{"n":"\\u00g9","cluster":"a"}', undefined],
    ['{"n":[[[[{}]]]],"cluster":"a"}', 'a'],
    ['{"n":[[[[{}]]],"cluster":"a"}', undefined],
    ['{"n":tru,"cluster":"a"}', undefined],
    ['{"n" "cluster":"a"}', undefined],
  ];
  for (const [text, want] of cases) {
    it(`reads ${JSON.stringify(text)} as JSON.parse does`, () => {
      const b = enc.encode(text);
      const got = topLevelCluster(b, b.length);
      if (want !== undefined) assert.equal(got, want);
      // Undefined is always allowed (the full check decides); a value must be JSON.parse's.
      if (got !== undefined) assert.equal(got, viaParse(text));
      else assert.ok(want === undefined);
    });
  }

  it('leaves escaped keys and values to JSON.parse', () => {
    for (const text of ['{"clust\\u0065r":"a"}', '{"cluster":"\\u0061"}']) {
      const b = enc.encode(text);
      assert.equal(topLevelCluster(b, b.length), undefined);
    }
  });
});

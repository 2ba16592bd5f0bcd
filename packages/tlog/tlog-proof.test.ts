import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import { cosignCheckpoint, formatCheckpoint, mergeSignatures } from './checkpoint.js';
import { setCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { encodeBase64 } from './encoding.js';
import { TlogError, type TlogErrorCode } from './errors.js';
import { leafHash, nodeHash } from './hash.js';
import { cosignatureVkey, formatNote, generateKey, parseNote, parseSkey, signNote } from './note.js';
import { parsePolicy } from './policy.js';
import { formatTlogProof, parseTlogProof, type TlogProof, verifyTlogProof } from './tlog-proof.js';

function throwsCode(fn: () => unknown, code: TlogErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof TlogError && err.code === code);
}

// The spec example's structure (C2SP tlog-proof.md) with its elided signatures replaced by
// well-formed placeholders: parsing checks structure only.
const SIG = encodeBase64(new Uint8Array(68).fill(1));
const SPEC_SHAPED = `c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog ${SIG}
— witness1.example ${SIG}
`;

// RFC 6962 2.1 written out independently of merkle.ts: MTH and PATH over leaf hashes.
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0] ?? new Uint8Array();
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function path(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k
    ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

// The golden tessera log (shared/testdata/tessera-golden-log/README.md).
const GOLDEN_SKEY =
  'PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg';
const GOLDEN_ENTRIES =
  'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(' ');

describe('tlog-proof@v1 text', () => {
  it('parses the spec example shape and formats it back', () => {
    const p = parseTlogProof(SPEC_SHAPED);
    assert.equal(p.index, 73894n);
    assert.equal(new TextDecoder().decode(p.extra), 'age-v1.2.1-darwin-arm64.tar.gz');
    assert.equal(p.hashes.length, 5);
    assert.equal(p.checkpoint.split('\n')[0], 'example.com/fancylog');
    assert.equal(formatTlogProof(p), SPEC_SHAPED);
    assert.deepEqual(parseTlogProof(new TextEncoder().encode(SPEC_SHAPED)), p);
  });

  it('parses a proof without extra data and without hashes', () => {
    const cp = SPEC_SHAPED.slice(SPEC_SHAPED.indexOf('\n\n') + 2);
    const p = parseTlogProof(`c2sp.org/tlog-proof@v1\nindex 0\n\n${cp}`);
    assert.deepEqual([p.extra, p.index, p.hashes], [undefined, 0n, []]);
    assert.equal(p.checkpoint, cp);
  });

  const head = 'c2sp.org/tlog-proof@v1\n';
  const cp = SPEC_SHAPED.slice(SPEC_SHAPED.indexOf('\n\n') + 2);
  const h = encodeBase64(new Uint8Array(32));
  const cases: [string, string | Uint8Array, TlogErrorCode][] = [
    ['empty input', '', 'MALFORMED'],
    ['wrong header', `c2sp.org/tlog-proof@v2\nindex 0\n\n${cp}`, 'MALFORMED'],
    ['header only', head, 'MALFORMED'],
    ['missing index', `${head}${h}\n\n${cp}`, 'MALFORMED'],
    ['index with a leading zero', `${head}index 01\n\n${cp}`, 'MALFORMED'],
    ['negative index', `${head}index -1\n\n${cp}`, 'MALFORMED'],
    ['index of 2^63', `${head}index 9223372036854775808\n\n${cp}`, 'MALFORMED'],
    ['index with two spaces', `${head}index  1\n\n${cp}`, 'MALFORMED'],
    ['extra after index', `${head}index 1\nextra AAAA\n\n${cp}`, 'MALFORMED'],
    ['empty extra', `${head}extra \nindex 1\n\n${cp}`, 'MALFORMED'],
    ['bad base64 extra', `${head}extra A!==\nindex 1\n\n${cp}`, 'MALFORMED'],
    ['a hash of 31 bytes', `${head}index 1\n${encodeBase64(new Uint8Array(31))}\n\n${cp}`, 'BAD_HASH_SIZE'],
    ['a hash of 33 bytes', `${head}index 1\n${encodeBase64(new Uint8Array(33))}\n\n${cp}`, 'BAD_HASH_SIZE'],
    ['a bad base64 hash', `${head}index 1\n${h.slice(1)}\n\n${cp}`, 'MALFORMED'],
    ['64 hashes', `${head}index 1\n${`${h}\n`.repeat(64)}\n${cp}`, 'MALFORMED'],
    ['100,000 hashes', `${head}index 1\n${`${h}\n`.repeat(100_000)}\n${cp}`, 'MALFORMED'],
    ['no blank line before the checkpoint', `${head}index 1\n${h}\n`, 'MALFORMED'],
    ['truncated checkpoint', `${head}index 1\n\n${cp.slice(0, 30)}`, 'MALFORMED'],
    ['no checkpoint', `${head}index 1\n\n`, 'MALFORMED'],
    ['a note that is not a checkpoint', `${head}index 1\n\nhello\n\n— k ${SIG}\n`, 'MALFORMED'],
    ['CRLF line ends', `c2sp.org/tlog-proof@v1\r\nindex 1\r\n\r\n${cp}`, 'MALFORMED'],
    [
      'invalid UTF-8',
      new Uint8Array([...new TextEncoder().encode(`${head}index 1\n\n`), 0xff, 0x0a]),
      'MALFORMED',
    ],
    ['an oversized file', `${head}index 1\n\n${'x'.repeat(2 * 1024 * 1024)}`, 'MALFORMED'],
  ];
  for (const [what, input, code] of cases) {
    it(`rejects ${what} (${code})`, () => throwsCode(() => parseTlogProof(input), code));
  }

  it('refuses to format what it could not parse', () => {
    const base: TlogProof = { index: 1n, hashes: [], checkpoint: cp };
    throwsCode(() => formatTlogProof({ ...base, hashes: [new Uint8Array(31)] }), 'BAD_HASH_SIZE');
    throwsCode(() => formatTlogProof({ ...base, index: -1n }), 'BAD_RANGE');
    throwsCode(() => formatTlogProof({ ...base, extra: new Uint8Array() }), 'MALFORMED');
    throwsCode(() => formatTlogProof({ ...base, checkpoint: 'nope' }), 'MALFORMED');
  });
});

for (const provider of [nodeCrypto, nobleCrypto]) {
  describe(`verifyTlogProof (${provider.name})`, () => {
    before(() => setCrypto(provider));
    after(() => setCrypto(nodeCrypto));

    const log = generateKey('log.example/proofs');
    const w1 = generateKey('w1.example');
    const w2 = generateKey('w2.example');
    const policy = parsePolicy(
      `log ${log.vkey}\nwitness A ${cosignatureVkey(w1)}\nwitness B ${cosignatureVkey(w2)}\ngroup all-of-them all A B\nquorum all-of-them\n`,
    );
    const leaves = Array.from({ length: 13 }, (_, i) => new TextEncoder().encode(`leaf ${i}\n`));
    const hashes = () => leaves.map((l) => leafHash(l));
    const cosigned = (size: number, ...ws: (typeof w1)[]) => {
      const body = formatCheckpoint({
        origin: log.name,
        size: BigInt(size),
        rootHash: mth(hashes().slice(0, size)),
        extensions: [],
      });
      return formatNote(
        mergeSignatures(
          parseNote(signNote(body, log)),
          ws.map((w) => cosignCheckpoint(body, w, 77n)),
        ),
      );
    };
    const proofFor = (index: number, size: number, checkpoint = cosigned(size, w1, w2)): TlogProof => ({
      index: BigInt(index),
      hashes: path(index, hashes().slice(0, size)),
      checkpoint,
    });

    it('verifies every index of several tree sizes, through text and back', () => {
      for (const size of [1, 2, 3, 7, 8, 13]) {
        const checkpoint = cosigned(size, w1, w2);
        for (let i = 0; i < size; i++) {
          const text = formatTlogProof(proofFor(i, size, checkpoint));
          const r = verifyTlogProof(parseTlogProof(text), leaves[i] ?? new Uint8Array(), policy);
          assert.equal(r.checkpoint.size, BigInt(size));
          assert.deepEqual(r.cosigners.sort(), ['A', 'B']);
        }
      }
    });

    it('rejects the wrong leaf, a changed hash and a wrong index (PROOF_INVALID)', () => {
      const p = proofFor(5, 13);
      throwsCode(() => verifyTlogProof(p, leaves[4] ?? new Uint8Array(), policy), 'PROOF_INVALID');
      const changed = p.hashes.map((x) => x.slice());
      const second = changed[1];
      assert.ok(second !== undefined);
      second[0] = (second[0] ?? 0) ^ 1;
      throwsCode(
        () => verifyTlogProof({ ...p, hashes: changed }, leaves[5] ?? new Uint8Array(), policy),
        'PROOF_INVALID',
      );
      throwsCode(
        () => verifyTlogProof({ ...p, hashes: p.hashes.slice(1) }, leaves[5] ?? new Uint8Array(), policy),
        'PROOF_INVALID',
      );
      throwsCode(
        () => verifyTlogProof({ ...p, index: 6n }, leaves[5] ?? new Uint8Array(), policy),
        'PROOF_INVALID',
      );
    });

    it('rejects an index at or beyond the tree size (BAD_RANGE)', () => {
      const p = proofFor(2, 3);
      throwsCode(
        () => verifyTlogProof({ ...p, index: 3n }, leaves[2] ?? new Uint8Array(), policy),
        'BAD_RANGE',
      );
      throwsCode(
        () => verifyTlogProof({ ...p, index: 1n << 62n }, leaves[2] ?? new Uint8Array(), policy),
        'BAD_RANGE',
      );
    });

    it('rejects a checkpoint without the quorum or the log signature', () => {
      throwsCode(
        () => verifyTlogProof(proofFor(0, 4, cosigned(4, w1)), leaves[0] ?? new Uint8Array(), policy),
        'QUORUM_NOT_MET',
      );
      const other = parsePolicy(`log ${generateKey(log.name).vkey}\nquorum none\n`);
      throwsCode(() => verifyTlogProof(proofFor(0, 4), leaves[0] ?? new Uint8Array(), other), 'NO_SIGNATURE');
    });

    it('verifies an entry of the golden log against its checkpoints', (t) => {
      const dir = sharedTestdata('tessera-golden-log/log');
      if (dir === undefined) return t.skip(SHARED_MISSING);
      const golden = parseSkey(GOLDEN_SKEY);
      const p = parsePolicy(`log ${golden.vkey}\nquorum none\n`);
      const entries = GOLDEN_ENTRIES.map((e) => new TextEncoder().encode(e));
      const all = entries.map((e) => leafHash(e));
      for (const size of [1, 6, 15]) {
        const checkpoint: string = readFileSync(join(dir, `checkpoint.${size}`), 'utf8');
        // The tree this checkpoint signs is the one the entries make: an independent root check.
        assert.equal(checkpoint.split('\n')[2], encodeBase64(mth(all.slice(0, size))));
        for (let i = 0; i < size; i++) {
          const proof = parseTlogProof(
            formatTlogProof({ index: BigInt(i), hashes: path(i, all.slice(0, size)), checkpoint }),
          );
          verifyTlogProof(proof, entries[i] ?? new Uint8Array(), p);
        }
      }
    });
  });
}

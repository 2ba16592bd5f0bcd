import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import {
  cosignatureMessage,
  cosignatureVerifier,
  cosignCheckpoint,
  cosigner,
  formatCheckpoint,
  mergeSignatures,
  parseCheckpoint,
} from './checkpoint.js';
import { setCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { decodeBase64, encodeBase64 } from './encoding.js';
import { TlogError, type TlogErrorCode } from './errors.js';
import {
  cosignatureVkey,
  formatNote,
  generateKey,
  MAX_NOTE_SIGNATURES,
  openNote,
  parseNote,
  parseSkey,
  parseVkey,
  signNote,
} from './note.js';

function throwsCode(fn: () => unknown, code: TlogErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof TlogError && err.code === code);
}

// From C2SP tlog-cosignature.md: a checkpoint with a log signature and an Ed25519 cosignature,
// and the cosignature/v1 message for its timestamp. The keys are not published.
const SPEC_COSIGNED =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
  '— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';
const SPEC_COSIGNED_MESSAGE =
  'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

// The golden tessera log (shared/testdata/tessera-golden-log/README.md), test-only keys.
const GOLDEN_VKEY = 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx';
const GOLDEN_SKEY =
  'PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg';
const GOLDEN_SIZES = 16;

const ROOT = encodeBase64(new Uint8Array(32).fill(7));

describe('tlog-checkpoint text', () => {
  it('parses and formats the spec example body', () => {
    const text = parseNote(SPEC_COSIGNED).text;
    const c = parseCheckpoint(text);
    assert.equal(c.origin, 'example.com/behind-the-sofa');
    assert.equal(c.size, 20852163n);
    assert.equal(encodeBase64(c.rootHash), 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    assert.deepEqual(c.extensions, []);
    assert.equal(formatCheckpoint(c), text);
  });

  it('keeps extension lines', () => {
    const text = `o.example\n0\n${ROOT}\next one\nx=2\n`;
    const c = parseCheckpoint(text);
    assert.deepEqual(c.extensions, ['ext one', 'x=2']);
    assert.equal(formatCheckpoint(c), text);
  });

  it('accepts the largest size, 2^63 - 1', () => {
    assert.equal(parseCheckpoint(`o\n9223372036854775807\n${ROOT}\n`).size, (1n << 63n) - 1n);
  });

  const cases: [string, string, TlogErrorCode][] = [
    ['empty', '', 'MALFORMED'],
    ['no final newline', `o\n1\n${ROOT}`, 'MALFORMED'],
    ['two lines', 'o\n1\n', 'MALFORMED'],
    ['empty origin', `\n1\n${ROOT}\n`, 'MALFORMED'],
    ['size with a leading zero', `o\n05\n${ROOT}\n`, 'MALFORMED'],
    ['size with a plus', `o\n+5\n${ROOT}\n`, 'MALFORMED'],
    ['negative size', `o\n-1\n${ROOT}\n`, 'MALFORMED'],
    ['size with trailing junk', `o\n11abc\n${ROOT}\n`, 'MALFORMED'],
    ['size 2^63', `o\n9223372036854775808\n${ROOT}\n`, 'MALFORMED'],
    ['size 2^64', `o\n18446744073709551616\n${ROOT}\n`, 'MALFORMED'],
    ['size with 400 digits', `o\n${'9'.repeat(400)}\n${ROOT}\n`, 'MALFORMED'],
    ['empty size', `o\n\n${ROOT}\n`, 'MALFORMED'],
    ['bad base64 root', 'o\n1\nnot*base64\n', 'MALFORMED'],
    ['root of 31 bytes', `o\n1\n${encodeBase64(new Uint8Array(31))}\n`, 'BAD_HASH_SIZE'],
    ['root of 33 bytes', `o\n1\n${encodeBase64(new Uint8Array(33))}\n`, 'BAD_HASH_SIZE'],
    ['empty root', 'o\n1\n\n', 'BAD_HASH_SIZE'],
    ['CRLF line ends', `o\r\n1\r\n${ROOT}\r\n`, 'MALFORMED'],
    ['control character in origin', `o\u0001\n1\n${ROOT}\n`, 'MALFORMED'],
    ['empty extension line', `o\n1\n${ROOT}\n\nx\n`, 'MALFORMED'],
    ['oversized', `o\n1\n${ROOT}\n${'x\n'.repeat(100_000)}`, 'MALFORMED'],
  ];
  for (const [what, text, code] of cases) {
    it(`rejects ${what} (${code})`, () => throwsCode(() => parseCheckpoint(text), code));
  }

  it('refuses to format what it could not parse', () => {
    throwsCode(
      () => formatCheckpoint({ origin: '', size: 1n, rootHash: new Uint8Array(32), extensions: [] }),
      'MALFORMED',
    );
    throwsCode(
      () => formatCheckpoint({ origin: 'o', size: -1n, rootHash: new Uint8Array(32), extensions: [] }),
      'BAD_RANGE',
    );
    throwsCode(
      () => formatCheckpoint({ origin: 'o', size: 1n << 63n, rootHash: new Uint8Array(32), extensions: [] }),
      'BAD_RANGE',
    );
    throwsCode(
      () => formatCheckpoint({ origin: 'o', size: 1n, rootHash: new Uint8Array(3), extensions: [] }),
      'BAD_HASH_SIZE',
    );
    throwsCode(
      () => formatCheckpoint({ origin: 'o', size: 1n, rootHash: new Uint8Array(32), extensions: ['a\nb'] }),
      'MALFORMED',
    );
  });
});

describe('cosignature/v1 spec example', () => {
  it('builds the signed message of the spec', () => {
    const text = parseNote(SPEC_COSIGNED).text;
    assert.equal(new TextDecoder().decode(cosignatureMessage(text, 1679315147n)), SPEC_COSIGNED_MESSAGE);
  });

  it('carries key id, big-endian time and a 64-byte signature', () => {
    const sig = parseNote(SPEC_COSIGNED).signatures[1];
    assert.ok(sig !== undefined);
    assert.equal(sig.name, 'witness.example.com/w1');
    assert.equal(sig.keyId, 0x8d66cf3f);
    assert.equal(sig.signature.length, 72);
    assert.equal(new DataView(sig.signature.buffer, sig.signature.byteOffset).getBigUint64(0), 1679315147n);
  });

  it('rejects times beyond 2^63 - 1', () => {
    throwsCode(() => cosignatureMessage('o\n1\n', 1n << 63n), 'BAD_RANGE');
    throwsCode(() => cosignatureMessage('o\n1\n', -1n), 'BAD_RANGE');
  });
});

for (const provider of [nodeCrypto, nobleCrypto]) {
  describe(`checkpoint signatures (${provider.name})`, () => {
    before(() => setCrypto(provider));
    after(() => setCrypto(nodeCrypto));

    it('verifies every golden checkpoint and re-signs it byte for byte', (t) => {
      const dir = sharedTestdata('tessera-golden-log/log');
      if (dir === undefined) return t.skip(SHARED_MISSING);
      const vkey = parseVkey(GOLDEN_VKEY);
      const skey = parseSkey(GOLDEN_SKEY);
      for (let n = 0; n < GOLDEN_SIZES; n++) {
        const file: Buffer = readFileSync(join(dir, `checkpoint.${n}`));
        const { note } = openNote(file, [vkey]);
        const c = parseCheckpoint(note.text);
        assert.equal(c.origin, vkey.name);
        assert.equal(c.size, BigInt(n));
        assert.equal(formatCheckpoint(c), note.text);
        assert.equal(signNote(note.text, skey), file.toString('utf8'), `checkpoint.${n}`);
      }
      assert.equal(
        readFileSync(join(dir, 'checkpoint'), 'utf8'),
        readFileSync(join(dir, `checkpoint.${GOLDEN_SIZES - 1}`), 'utf8'),
      );
    });

    const log = generateKey('log.example/one');
    const witness = generateKey('witness.example/w1');
    const body = formatCheckpoint({
      origin: log.name,
      size: 42n,
      rootHash: new Uint8Array(32).fill(1),
      extensions: [],
    });
    const signed = signNote(body, log);

    it('cosigns a checkpoint and verifies the cosignature and its time', () => {
      const line = cosignCheckpoint(body, witness, 1700000000n);
      assert.match(line, /^— witness\.example\/w1 [A-Za-z0-9+/=]+\n$/);
      const note = mergeSignatures(parseNote(signed), [line]);
      const v = cosignatureVerifier(cosignatureVkey(witness));
      const opened = openNote(formatNote(note), [parseVkey(log.vkey), v]);
      assert.equal(opened.verified.length, 2);
      assert.equal(v.lastTime, 1700000000n);
      // The same key as a type-0x04 PublicKey verifies it too; its Ed25519 vkey does not match the id.
      assert.equal(openNote(formatNote(note), [parseVkey(cosignatureVkey(witness))]).verified.length, 1);
      assert.equal(openNote(formatNote(note), [cosignatureVerifier(witness.vkey)]).verified.length, 1);
      throwsCode(
        () => openNote(signNote(body, cosigner(witness)), [parseVkey(witness.vkey)]),
        'NO_SIGNATURE',
      );
    });

    it('cosigns through the Signer interface with the current time', () => {
      const before = BigInt(Math.floor(Date.now() / 1000));
      const v = cosignatureVerifier(cosignatureVkey(witness));
      openNote(signNote(body, cosigner(witness)), [v]);
      assert.ok(v.lastTime !== undefined && v.lastTime >= before && v.lastTime <= before + 5n);
    });

    it('rejects a cosignature whose time or text was changed (BAD_SIGNATURE)', () => {
      const line = cosignCheckpoint(body, witness, 1700000000n);
      const sig = parseNote(`${body}\n${line}`).signatures[0];
      assert.ok(sig !== undefined);
      const v = cosignatureVerifier(cosignatureVkey(witness));
      const retimed = sig.signature.slice();
      new DataView(retimed.buffer).setBigUint64(0, 1700000001n);
      throwsCode(
        () => openNote(formatNote({ text: body, signatures: [{ ...sig, signature: retimed }] }), [v]),
        'BAD_SIGNATURE',
      );
      const hugeTime = sig.signature.slice();
      new DataView(hugeTime.buffer).setBigUint64(0, 1n << 63n);
      throwsCode(
        () => openNote(formatNote({ text: body, signatures: [{ ...sig, signature: hugeTime }] }), [v]),
        'BAD_SIGNATURE',
      );
      const other = body.replace('42', '43');
      throwsCode(() => openNote(`${other}\n${line}`, [v]), 'BAD_SIGNATURE');
      const short = { ...sig, signature: sig.signature.subarray(0, 64) };
      throwsCode(() => openNote(formatNote({ text: body, signatures: [short] }), [v]), 'BAD_SIGNATURE');
    });

    it('refuses to cosign text that is not a checkpoint', () => {
      throwsCode(() => cosignCheckpoint('hello\n', witness, 1n), 'MALFORMED');
    });

    it('rejects a bad witness vkey (BAD_KEY)', () => {
      throwsCode(() => cosignatureVerifier('nonsense'), 'BAD_KEY');
    });
  });
}

describe('mergeSignatures', () => {
  const log = generateKey('log.example/one');
  const w1 = generateKey('w1.example');
  const w2 = generateKey('w2.example');
  const body = `${log.name}\n1\n${ROOT}\n`;
  const note = parseNote(signNote(body, log));

  it('keeps existing signatures, appends new ones and skips exact duplicates', () => {
    const l1 = cosignCheckpoint(body, w1, 10n);
    const l2 = cosignCheckpoint(body, w2, 10n);
    const merged = mergeSignatures(note, [l1, l2, l1, l2.slice(0, -1)]);
    assert.deepEqual(
      merged.signatures.map((s) => s.name),
      [log.name, w1.name, w2.name],
    );
    assert.equal(mergeSignatures(merged, [l1]).signatures.length, 3);
    // A new time from the same witness is a different signature and is kept.
    assert.equal(mergeSignatures(merged, [cosignCheckpoint(body, w1, 11n)]).signatures.length, 4);
    assert.equal(note.signatures.length, 1, 'input note unchanged');
  });

  it('rejects malformed lines and too many signatures (MALFORMED)', () => {
    throwsCode(() => mergeSignatures(note, ['- w1.example AAAAAQE=']), 'MALFORMED');
    throwsCode(() => mergeSignatures(note, ['— w1 example AAAAAQE=']), 'MALFORMED');
    throwsCode(() => mergeSignatures(note, ['— w1.example !!']), 'MALFORMED');
    throwsCode(() => mergeSignatures(note, ['']), 'MALFORMED');
    const many = Array.from(
      { length: MAX_NOTE_SIGNATURES },
      (_, i) => `— w${i}.example ${encodeBase64(new Uint8Array(9).fill(i))}`,
    );
    throwsCode(() => mergeSignatures(note, many), 'MALFORMED');
  });

  it('decodes what it merged', () => {
    const merged = mergeSignatures(note, [cosignCheckpoint(body, w1, 10n)]);
    const cosig = merged.signatures[1];
    assert.ok(cosig !== undefined);
    assert.equal(cosig.signature.length, 72);
    assert.deepEqual(decodeBase64(encodeBase64(cosig.signature)), cosig.signature);
  });
});

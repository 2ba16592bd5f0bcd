import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import { type CryptoProvider, setCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { encodeBase64 } from './encoding.js';
import { TlogError, type TlogErrorCode } from './errors.js';
import {
  cosignatureVkey,
  formatNote,
  generateKey,
  isValidKeyName,
  KEY_TYPE_COSIGNATURE_V1,
  keyId,
  MAX_NOTE_SIGNATURES,
  openNote,
  parseNote,
  parseSkey,
  parseVkey,
  type Signer,
  signNote,
} from './note.js';

function throwsCode(fn: () => unknown, code: TlogErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof TlogError && err.code === code);
}

/** Runs a suite once per crypto provider: both must give the same answers. */
function eachProvider(title: string, body: (p: CryptoProvider) => void): void {
  for (const provider of [nodeCrypto, nobleCrypto]) {
    describe(`${title} (${provider.name})`, () => {
      before(() => setCrypto(provider));
      after(() => setCrypto(nodeCrypto));
      body(provider);
    });
  }
}

// From C2SP signed-note.md (the example at the top of the spec). Its key is not published, so
// the example checks structure only.
const SPEC_NOTE =
  'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n' +
  '— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n';

// The golden tessera log's key pair (shared/testdata/tessera-golden-log/README.md), test-only.
const GOLDEN_VKEY = 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx';
const GOLDEN_SKEY =
  'PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg';

describe('signed-note parsing', () => {
  it('parses the C2SP spec example, keeping its inner blank line in the text', () => {
    const note = parseNote(SPEC_NOTE);
    assert.equal(
      note.text,
      'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n',
    );
    assert.equal(note.signatures.length, 1);
    assert.equal(note.signatures[0]?.name, 'quasimodo.example/salvatore');
    assert.equal(note.signatures[0]?.keyId, 0x367ba04b);
    assert.equal(note.signatures[0]?.signature.length, 64);
    assert.equal(formatNote(note), SPEC_NOTE);
  });

  it('parses the same note given as UTF-8 bytes', () => {
    assert.deepEqual(parseNote(new TextEncoder().encode(SPEC_NOTE)), parseNote(SPEC_NOTE));
  });

  const sig = '— a.example/k AAAAAQE=\n';
  const cases: [string, string | Uint8Array][] = [
    ['empty input', ''],
    ['no signatures', 'hello\n\n'],
    ['no blank line', 'hello\n— a.example/k AAAAAQE=\n'],
    ['no final newline', 'hello\n\n— a.example/k AAAAAQE='],
    ['empty text', `\n${sig}`],
    ['blank-line-only text', `\n\n${sig}`],
    ['two blank lines before signatures', `hello\n\n\n${sig}`],
    ['hyphen instead of em dash', 'hello\n\n- a.example/k AAAAAQE=\n'],
    ['en dash instead of em dash', 'hello\n\n– a.example/k AAAAAQE=\n'],
    ['no space after the dash', 'hello\n\n—a.example/k AAAAAQE=\n'],
    ['signature line with trailing space', 'hello\n\n— a.example/k AAAAAQE= \n'],
    ['signature line with CR', 'hello\n\n— a.example/k AAAAAQE=\r\n'],
    ['text line ending in CR', `hello\r\n\n${sig}`],
    ['text line ending in a space', `hello \n\n${sig}`],
    ['tab in text', `hel\tlo\n\n${sig}`],
    ['NUL in text', `hel\u0000lo\n\n${sig}`],
    ['escape in text', `hel\u001blo\n\n${sig}`],
    ['bad base64', 'hello\n\n— a.example/k AAAA!Q==\n'],
    ['URL-safe base64', 'hello\n\n— a.example/k AAAA_-8=\n'],
    ['unpadded base64', 'hello\n\n— a.example/k AAAAAQE\n'],
    ['non-canonical base64 padding bits', 'hello\n\n— a.example/k AAAAAQF=\n'],
    ['signature of only a key id', 'hello\n\n— a.example/k AAAAAA==\n'],
    ['key name with a plus', 'hello\n\n— a+b AAAAAQE=\n'],
    ['key name with a no-break space', 'hello\n\n— a\u00a0b AAAAAQE=\n'],
    ['key name with an ideographic space', 'hello\n\n— a\u3000b AAAAAQE=\n'],
    ['empty key name', 'hello\n\n—  AAAAAQE=\n'],
    ['three fields', 'hello\n\n— a b AAAAAQE=\n'],
    ['lone surrogate', `hel\ud800lo\n\n${sig}`],
    ['invalid UTF-8 bytes', new Uint8Array([0x68, 0xff, 0x0a, 0x0a, ...new TextEncoder().encode(sig)])],
    ['overlong UTF-8', new Uint8Array([0xc0, 0xaf, 0x0a, 0x0a, ...new TextEncoder().encode(sig)])],
    ['truncated UTF-8', new Uint8Array([0x68, 0xe2, 0x80, 0x0a, 0x0a, ...new TextEncoder().encode(sig)])],
    ['oversized note', `${'x'.repeat(2 * 1024 * 1024)}\n\n${sig}`],
  ];
  for (const [what, input] of cases) {
    it(`rejects ${what} as MALFORMED`, () => throwsCode(() => parseNote(input), 'MALFORMED'));
  }

  it(`accepts ${MAX_NOTE_SIGNATURES} signatures and rejects 1,000`, () => {
    assert.equal(parseNote(`hello\n\n${sig.repeat(16)}`).signatures.length, 16);
    assert.equal(
      parseNote(`hello\n\n${sig.repeat(MAX_NOTE_SIGNATURES)}`).signatures.length,
      MAX_NOTE_SIGNATURES,
    );
    throwsCode(() => parseNote(`hello\n\n${sig.repeat(MAX_NOTE_SIGNATURES + 1)}`), 'MALFORMED');
    throwsCode(() => parseNote(`hello\n\n${sig.repeat(1000)}`), 'MALFORMED');
  });

  it('checks key names', () => {
    for (const ok of ['a', 'example.com/log', 'collector/prod-eu', 'ñame']) assert.ok(isValidKeyName(ok), ok);
    for (const bad of ['', 'a b', 'a+b', 'a\tb', 'a\u2003b', 'a\u0085b', 'a\nb', 'a\u0000']) {
      assert.ok(!isValidKeyName(bad), JSON.stringify(bad));
    }
  });
});

eachProvider('signed-note keys', () => {
  it('reproduces the golden log key pair', () => {
    const sk = parseSkey(GOLDEN_SKEY);
    assert.equal(sk.skey, GOLDEN_SKEY);
    assert.equal(sk.vkey, GOLDEN_VKEY);
    assert.equal(sk.keyId, 0x33d7b496);
    const vk = parseVkey(GOLDEN_VKEY);
    assert.equal(vk.keyId, 0x33d7b496);
    assert.equal(vk.type, 0x01);
    assert.deepEqual(vk.publicKey, sk.publicKey);
  });

  it('generates keys whose texts parse back', () => {
    const k = generateKey('collector/test');
    assert.equal(parseSkey(k.skey).vkey, k.vkey);
    assert.equal(parseVkey(k.vkey).keyId, k.keyId);
    const cv = parseVkey(cosignatureVkey(k));
    assert.equal(cv.type, KEY_TYPE_COSIGNATURE_V1);
    assert.equal(cv.keyId, keyId(k.name, KEY_TYPE_COSIGNATURE_V1, k.publicKey));
    assert.notEqual(cv.keyId, k.keyId);
  });

  const badVkeys: [string, string][] = [
    ['empty', ''],
    ['no separators', 'example.com'],
    ['empty name', '+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx'],
    ['name with a space', 'example .com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx'],
    ['short key id', 'example.com/log/testdata+33d7b49+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx'],
    ['non-hex key id', 'example.com/log/testdata+33d7b49g+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx'],
    ['wrong key id', 'example.com/log/testdata+33d7b497+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx'],
    [
      'wrong name for the key id',
      'example.com/log/other+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx',
    ],
    ['bad base64', 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkS'],
    ['short key', 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkk='],
    ['unknown type', 'example.com/log/testdata+33d7b496+AuHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx'],
    ['an skey', GOLDEN_SKEY],
    ['huge', `a+00000000+${'A'.repeat(100_000)}`],
  ];
  for (const [what, text] of badVkeys) {
    it(`rejects a vkey: ${what} (BAD_KEY)`, () => throwsCode(() => parseVkey(text), 'BAD_KEY'));
  }
  const badSkeys: [string, string][] = [
    ['a vkey', GOLDEN_VKEY],
    ['wrong key id', GOLDEN_SKEY.replace('33d7b496', '33d7b497')],
    [
      'short seed',
      'PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3=',
    ],
    [
      'type 0x04',
      'PRIVATE+KEY+example.com/log/testdata+33d7b496+BOymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg',
    ],
    ['lower-case prefix', GOLDEN_SKEY.replace('PRIVATE+KEY', 'private+key')],
  ];
  for (const [what, text] of badSkeys) {
    it(`rejects an skey: ${what} (BAD_KEY)`, () => throwsCode(() => parseSkey(text), 'BAD_KEY'));
  }
  it('refuses to generate a key with an invalid name', () => {
    throwsCode(() => generateKey('a b'), 'BAD_KEY');
    throwsCode(() => generateKey('a+b'), 'BAD_KEY');
    throwsCode(() => generateKey(''), 'BAD_KEY');
  });
});

eachProvider('signed-note signing and opening', () => {
  it('verifies and reproduces the x/mod/sumdb/note example', (t) => {
    const dir = sharedTestdata('tlog-vectors/xmod-note');
    if (dir === undefined) return t.skip(SHARED_MISSING);
    const v = JSON.parse(readFileSync(join(dir, 'peterneumann.json'), 'utf8')) as Record<string, string>;
    const sk = parseSkey(v.skey ?? '');
    const vk = parseVkey(v.vkey ?? '');
    assert.equal(sk.vkey, v.vkey);
    assert.equal(signNote(v.text ?? '', sk), v.note);
    const opened = openNote(v.note ?? '', [vk]);
    assert.equal(opened.note.text, v.text);
    assert.deepEqual(opened.verified, [vk]);
  });

  const a = generateKey('a.example/one');
  const b = generateKey('b.example/two');
  const va = parseVkey(a.vkey);
  const vb = parseVkey(b.vkey);

  it('signs with several keys and opens with any known one', () => {
    const note = signNote('hello\nworld\n', a, b);
    assert.equal(parseNote(note).signatures.length, 2);
    assert.deepEqual(openNote(note, [vb]).verified, [vb]);
    assert.deepEqual(openNote(new TextEncoder().encode(note), [va, vb]).verified, [va, vb]);
  });

  it('verifies a note given as bytes over exactly its text bytes, multi-byte UTF-8 included', () => {
    const text = 'h\u00e9llo \u2713 \u{1f512}\nsecond line\n';
    const bytes = new TextEncoder().encode(signNote(text, a));
    assert.deepEqual(openNote(bytes, [va]).verified, [va]);
    // A view into a larger buffer, as leaves arrive.
    const big = new Uint8Array(bytes.length + 9);
    big.set(bytes, 4);
    assert.deepEqual(openNote(big.subarray(4, 4 + bytes.length), [va]).verified, [va]);
    // Any changed byte of the text fails the signature (or the UTF-8 check), never passes.
    for (const at of [0, 1, 2, 8, 12, 20]) {
      const bad = bytes.slice();
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      assert.throws(() => openNote(bad, [va]));
    }
  });

  it('ignores unknown keys, even with a known name or a known key id', () => {
    const note = signNote('hello\n', a);
    throwsCode(() => openNote(note, [vb]), 'NO_SIGNATURE');
    const sameName = generateKey('a.example/one');
    throwsCode(() => openNote(note, [parseVkey(sameName.vkey)]), 'NO_SIGNATURE');
    const sameId: Signer = { name: 'other.example', keyId: a.keyId, sign: (m) => a.sign(m) };
    assert.deepEqual(openNote(signNote('hello\n', sameId, b), [va, vb]).verified, [vb]);
  });

  it('rejects the note when a known key signature fails (BAD_SIGNATURE)', () => {
    const note = signNote('hello\n', a, b);
    const forged = note.replace('hello', 'jello');
    throwsCode(() => openNote(forged, [va]), 'BAD_SIGNATURE');
    // One good signature does not excuse a bad one by another known key.
    const bad = `hello\n\n${signNote('hello\n', a).split('\n\n')[1]}${signNote('jello\n', b).split('\n\n')[1]}`;
    throwsCode(() => openNote(bad, [va, vb]), 'BAD_SIGNATURE');
    assert.deepEqual(openNote(bad, [va]).verified, [va]);
  });

  it('rejects a note with no known signature (NO_SIGNATURE)', () => {
    throwsCode(() => openNote(signNote('hello\n', a), []), 'NO_SIGNATURE');
  });

  it('rejects signatures of the wrong length from a known key as BAD_SIGNATURE', () => {
    const id = new Uint8Array(4);
    new DataView(id.buffer).setUint32(0, a.keyId);
    const short = `hello\n\n— ${a.name} ${encodeBase64(new Uint8Array([...id, 1, 2, 3]))}\n`;
    throwsCode(() => openNote(short, [va]), 'BAD_SIGNATURE');
  });

  it('opens a note with 16 signatures and refuses 1,000', () => {
    const keys = Array.from({ length: 16 }, (_, i) => generateKey(`w${i}.example`));
    const note = signNote('hello\n', ...keys);
    assert.equal(
      openNote(
        note,
        keys.map((k) => parseVkey(k.vkey)),
      ).verified.length,
      16,
    );
    const lines = note.slice('hello\n\n'.length);
    throwsCode(() => openNote(`hello\n\n${lines.repeat(63)}`, [va]), 'MALFORMED');
  });

  it('refuses to sign text that could not be parsed back', () => {
    for (const text of ['', 'no newline', 'trailing blank\n\n', 'ctl\u0007\n', 'space \n', '\n']) {
      throwsCode(() => signNote(text, a), 'MALFORMED');
    }
  });
});

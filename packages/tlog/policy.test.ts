import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cosignCheckpoint, formatCheckpoint, mergeSignatures } from './checkpoint.js';
import { setCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { TlogError, type TlogErrorCode } from './errors.js';
import { cosignatureVkey, formatNote, generateKey, parseNote, signNote } from './note.js';
import { formatPolicy, type Policy, parsePolicy, quorumMet, verifyCheckpointNote } from './policy.js';

function throwsCode(fn: () => unknown, code: TlogErrorCode): void {
  assert.throws(fn, (err: unknown) => err instanceof TlogError && err.code === code);
}

const log = generateKey('log.example/one');
const names = ['X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3'];
const wkeys = new Map(names.map((n) => [n, generateKey(`${n.toLowerCase()}.witness.example`)]));
const wv = (n: string) => cosignatureVkey(wkeys.get(n) ?? generateKey('missing'));

// The two-level example of C2SP tlog-policy.md, with real keys in place of <vkey>.
const SPEC_POLICY = `log ${log.vkey}

witness X1 ${wv('X1')}
witness X2 ${wv('X2')}
witness X3 ${wv('X3')}
group X-witnesses 2 X1 X2 X3

witness Y1 ${wv('Y1')}
witness Y2 ${wv('Y2')}
witness Y3 ${wv('Y3')}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
`;

describe('tlog-policy parsing', () => {
  it('parses the spec example', () => {
    const p = parsePolicy(SPEC_POLICY);
    assert.equal(p.logs.length, 1);
    assert.equal(p.logs[0]?.vkey.vkey, log.vkey);
    assert.deepEqual(
      p.witnesses.map((w) => w.name),
      names,
    );
    assert.deepEqual(p.groups, [
      { name: 'X-witnesses', threshold: 2, members: ['X1', 'X2', 'X3'] },
      { name: 'Y-witnesses', threshold: 1, members: ['Y1', 'Y2', 'Y3'] },
      { name: 'X-and-Y', threshold: 2, members: ['X-witnesses', 'Y-witnesses'] },
    ]);
    assert.equal(p.quorum, 'X-and-Y');
  });

  it('evaluates the spec example quorum', () => {
    const p = parsePolicy(SPEC_POLICY);
    const met = (...s: string[]) => quorumMet(p, new Set(s));
    assert.equal(met('X1', 'X2', 'Y3'), true);
    assert.equal(met('X1', 'X3', 'Y1', 'Y2'), true);
    assert.equal(met('X1', 'Y1', 'Y2', 'Y3'), false);
    assert.equal(met('X1', 'X2', 'X3'), false);
    assert.equal(met(), false);
    assert.equal(met('X1', 'X2', 'Y9', 'X-witnesses', 'Y-witnesses'), false, 'group names are not cosigners');
  });

  it('allows comments, blank lines, tabs, surrounding whitespace and URLs', () => {
    const p = parsePolicy(
      `# a comment\n  \t\n\tlog\t${log.vkey}   https://log.example/\n  # indented comment\n` +
        `witness  X1 ${wv('X1')} https://w.example/x1  \nquorum X1`,
    );
    assert.equal(p.logs[0]?.url, 'https://log.example/');
    assert.equal(p.witnesses[0]?.url, 'https://w.example/x1');
    assert.equal(quorumMet(p, new Set(['X1'])), true);
    assert.equal(quorumMet(p, new Set()), false);
  });

  it('accepts quorum none without witnesses or logs', () => {
    const p = parsePolicy('quorum none\n');
    assert.deepEqual(p, { logs: [], witnesses: [], groups: [], quorum: 'none' });
    assert.equal(quorumMet(p, new Set()), true);
  });

  it('formats a policy that parses back to the same policy', () => {
    const p = parsePolicy(SPEC_POLICY);
    const text = formatPolicy(p);
    const q = parsePolicy(text);
    assert.equal(formatPolicy(q), text);
    assert.deepEqual([q.witnesses, q.groups, q.quorum], [p.witnesses, p.groups, p.quorum]);
    assert.deepEqual(
      q.logs.map((l) => l.vkey.vkey),
      [log.vkey],
    );
  });

  const w = (n: string) => `witness ${n} ${wv(n)}`;
  const cases: [string, string][] = [
    ['empty file', ''],
    ['no quorum', `log ${log.vkey}\n${w('X1')}\n`],
    ['two quorums', `${w('X1')}\nquorum X1\nquorum X1\n`],
    ['unknown keyword', `${w('X1')}\nwitnesses X2 ${wv('X2')}\nquorum X1\n`],
    ['quorum of an unknown name', `${w('X1')}\nquorum X2\n`],
    ['quorum before its witness', `quorum X1\n${w('X1')}\n`],
    ['group with an unknown member', `${w('X1')}\ngroup g 1 X1 X2\nquorum g\n`],
    ['group naming itself (a cycle)', `${w('X1')}\ngroup g 1 X1 g\nquorum g\n`],
    ['groups naming each other (a cycle)', `${w('X1')}\ngroup a 1 X1 b\ngroup b 1 X1 a\nquorum a\n`],
    ['group member listed twice', `${w('X1')}\ngroup g 1 X1 X1\nquorum g\n`],
    ['group without members', `${w('X1')}\ngroup g any\nquorum g\n`],
    ['group threshold 0', `${w('X1')}\ngroup g 0 X1\nquorum g\n`],
    ['group threshold above n', `${w('X1')}\n${w('X2')}\ngroup g 3 X1 X2\nquorum g\n`],
    ['group threshold with a leading zero', `${w('X1')}\ngroup g 01 X1\nquorum g\n`],
    ['group threshold with a sign', `${w('X1')}\ngroup g +1 X1\nquorum g\n`],
    ['group threshold that is a word', `${w('X1')}\ngroup g some X1\nquorum g\n`],
    ['huge group threshold', `${w('X1')}\ngroup g 99999999999999999999999 X1\nquorum g\n`],
    ['none as a member', `${w('X1')}\ngroup g any X1 none\nquorum g\n`],
    ['none as a witness name', `witness none ${wv('X1')}\nquorum none\n`],
    ['a name defined twice', `${w('X1')}\ngroup X1 any X1\nquorum X1\n`],
    ['a witness defined twice', `${w('X1')}\nwitness X1 ${wv('X2')}\nquorum X1\n`],
    ['two witnesses with one key', `${w('X1')}\nwitness X9 ${wv('X1')}\nquorum X1\n`],
    ['two logs with one key', `log ${log.vkey}\nlog ${log.vkey}\nquorum none\n`],
    ['a log with a cosignature key', `log ${wv('X1')}\nquorum none\n`],
    ['a witness with an Ed25519 key', `witness X1 ${log.vkey}\nquorum X1\n`],
    ['an invalid vkey', `log ${log.vkey.slice(0, -2)}\nquorum none\n`],
    ['a witness without a key', 'witness X1\nquorum none\n'],
    ['a log with extra fields', `log ${log.vkey} https://a https://b\nquorum none\n`],
    ['a quorum with extra fields', `${w('X1')}\nquorum X1 X1\n`],
    ['CRLF line ends', `${w('X1')}\r\nquorum X1\r\n`],
    ['a NUL byte', `${w('X1')}\nquorum X1\u0000\n`],
    ['a vertical tab as separator', `${w('X1')}\nquorum\u000bX1\n`],
  ];
  for (const [what, text] of cases) {
    it(`rejects ${what} (BAD_POLICY)`, () => throwsCode(() => parsePolicy(text), 'BAD_POLICY'));
  }

  it('treats high octets in names as opaque name material', () => {
    const p = parsePolicy(`witness K\u00a0 ${wv('X1')}\nquorum K\u00a0\n`);
    assert.equal(p.witnesses[0]?.name, 'K\u00a0');
    throwsCode(() => parsePolicy(`witness K\u00a0 ${wv('X1')}\nquorum K\n`), 'BAD_POLICY');
  });

  it('reports cycles and unknown names in policies built in code (BAD_POLICY)', () => {
    const cyclic: Policy = {
      logs: [],
      witnesses: [{ name: 'X1', vkey: wv('X1') }],
      groups: [
        { name: 'a', threshold: 1, members: ['b'] },
        { name: 'b', threshold: 1, members: ['a'] },
      ],
      quorum: 'a',
    };
    throwsCode(() => quorumMet(cyclic, new Set(['X1'])), 'BAD_POLICY');
    throwsCode(() => formatPolicy(cyclic), 'BAD_POLICY');
    throwsCode(() => quorumMet({ ...cyclic, groups: [], quorum: 'nobody' }, new Set()), 'BAD_POLICY');
  });
});

for (const provider of [nodeCrypto, nobleCrypto]) {
  describe(`verifyCheckpointNote (${provider.name})`, () => {
    before(() => setCrypto(provider));
    after(() => setCrypto(nodeCrypto));

    const policy = parsePolicy(SPEC_POLICY);
    const body = formatCheckpoint({
      origin: log.name,
      size: 9n,
      rootHash: new Uint8Array(32).fill(9),
      extensions: [],
    });
    const logNote = parseNote(signNote(body, log));
    const cosigned = (...ws: string[]) =>
      formatNote(
        mergeSignatures(
          logNote,
          ws.map((n) => cosignCheckpoint(body, wkeys.get(n) ?? generateKey('missing'), 1000n)),
        ),
      );

    it('accepts a checkpoint that meets the quorum and names its cosigners', () => {
      const r = verifyCheckpointNote(cosigned('X1', 'X3', 'Y2'), policy);
      assert.equal(r.checkpoint.size, 9n);
      assert.deepEqual(r.cosigners.sort(), ['X1', 'X3', 'Y2']);
      assert.equal(r.logVkey, log.vkey);
    });

    it('ignores cosignatures of witnesses outside the policy', () => {
      const stranger = generateKey('stranger.example');
      const note = mergeSignatures(parseNote(cosigned('X1', 'X2', 'Y1')), [
        cosignCheckpoint(body, stranger, 5n),
      ]);
      assert.deepEqual(verifyCheckpointNote(formatNote(note), policy).cosigners.sort(), ['X1', 'X2', 'Y1']);
    });

    it('rejects too few cosignatures (QUORUM_NOT_MET)', () => {
      throwsCode(() => verifyCheckpointNote(cosigned('X1', 'X2'), policy), 'QUORUM_NOT_MET');
      throwsCode(() => verifyCheckpointNote(signNote(body, log), policy), 'QUORUM_NOT_MET');
    });

    it('accepts a log signature alone under quorum none', () => {
      const none = parsePolicy(`log ${log.vkey}\nquorum none\n`);
      assert.deepEqual(verifyCheckpointNote(signNote(body, log), none).cosigners, []);
    });

    it('rejects a bad cosignature by a known witness (BAD_SIGNATURE)', () => {
      const other = formatCheckpoint({
        origin: log.name,
        size: 10n,
        rootHash: new Uint8Array(32).fill(9),
        extensions: [],
      });
      const note = mergeSignatures(parseNote(cosigned('X1', 'X2', 'Y1')), [
        cosignCheckpoint(other, wkeys.get('Y2') ?? generateKey('m'), 1000n),
      ]);
      throwsCode(() => verifyCheckpointNote(formatNote(note), policy), 'BAD_SIGNATURE');
    });

    it('rejects a checkpoint without a policy log signature (NO_SIGNATURE)', () => {
      const impostor = generateKey(log.name);
      const note = formatNote(
        mergeSignatures(
          parseNote(signNote(body, impostor)),
          ['X1', 'X2', 'Y1'].map((n) => cosignCheckpoint(body, wkeys.get(n) ?? generateKey('m'), 1n)),
        ),
      );
      throwsCode(() => verifyCheckpointNote(note, policy), 'NO_SIGNATURE');
    });

    it('rejects a log signature over a checkpoint of another origin (NO_SIGNATURE)', () => {
      const foreign = formatCheckpoint({
        origin: 'other.example',
        size: 9n,
        rootHash: new Uint8Array(32),
        extensions: [],
      });
      throwsCode(
        () => verifyCheckpointNote(signNote(foreign, log), parsePolicy(`log ${log.vkey}\nquorum none\n`)),
        'NO_SIGNATURE',
      );
    });

    it('rejects signed text that is not a checkpoint (MALFORMED)', () => {
      throwsCode(
        () => verifyCheckpointNote(signNote('hello\n', log), parsePolicy(`log ${log.vkey}\nquorum none\n`)),
        'MALFORMED',
      );
      throwsCode(() => verifyCheckpointNote('garbage', policy), 'MALFORMED');
    });
  });
}

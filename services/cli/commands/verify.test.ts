// `ingress-ledger verify` against evidence built with packages/tlog: a real signed, cosigned log in
// memory, then files altered the way an attacker (or a careless copy) would alter them.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { formatTlogProof, generateKey, parseTlogProof, signNote } from '../../../packages/tlog/index.js';
import { type FixtureLog, fixtureLog, writeEvidence } from '../testing/fixtures.js';
import { sampleChange, signLeaf } from '../testing/memory-log.js';
import { cli, jsonLines, runCli } from '../testing/run-cli.js';

const errorCode = (stdout: string) => (jsonLines(stdout)[0]?.error as { code?: string } | undefined)?.code;
const errorIndex = (stdout: string) => (jsonLines(stdout)[0]?.error as { index?: number } | undefined)?.index;

describe('ingress-ledger verify', () => {
  let f: FixtureLog;
  let good: { leafFile: string; proofFile: string };
  const verifyArgs = (e: { leafFile: string; proofFile: string }, extra: string[] = []) => [
    'verify',
    '--policy',
    f.policyFile,
    '--proof',
    e.proofFile,
    '--leaf',
    e.leafFile,
    '--collector-vkey',
    f.collectorVkey,
    '--json',
    ...extra,
  ];

  before(() => {
    f = fixtureLog(13);
    good = writeEvidence(f, 'good', f.log.leaves[5] as Uint8Array, f.log.tlogProof(5n));
  });

  describe('when every check passes', () => {
    it('exits 0 and prints the proven change', async () => {
      const r = await runCli(verifyArgs(good));
      assert.equal(r.status, 0, r.stderr);
      const out = jsonLines(r.stdout)[0] as Record<string, unknown>;
      assert.equal(out.ok, true);
      assert.equal(out.index, 5);
      assert.equal(out.size, 13);
      assert.deepEqual(out.cosigners, ['witness-1', 'witness-2']);
      assert.equal((out.change as { auditID: string }).auditID, sampleChange(5).auditID);
      assert.match(String(out.collector), /^collector\/prod\+[0-9a-f]{8}$/);
    });

    it('tells a person who did what, when, where and why', async () => {
      const r = await cli(verifyArgs(good).filter((a) => a !== '--json'));
      assert.equal(r.status, 0, r.stderr);
      for (const word of ['who:', 'what:', 'when:', 'where:', 'why:', 'shop/web-5'])
        assert.ok(r.stdout.includes(word), word);
    });

    it('verifies the first and the last entry too', async () => {
      for (const i of [0n, 12n]) {
        const e = writeEvidence(f, `edge-${i}`, f.log.leaves[Number(i)] as Uint8Array, f.log.tlogProof(i));
        const r = await cli(verifyArgs(e));
        assert.equal(r.status, 0, r.stderr);
      }
    });

    const withoutCollectorKey = () =>
      verifyArgs(good).filter((a, i, all) => a !== f.collectorVkey && all[i + 1] !== f.collectorVkey);

    it('refuses to verify without a collector key (exit 2, naming the flag)', async () => {
      const r = await cli(withoutCollectorKey());
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /--collector-vkey/);
      assert.match(r.stderr, /--no-collector-check/);
    });

    it('checks the form only, with a warning, under --no-collector-check', async () => {
      const r = await cli([...withoutCollectorKey(), '--no-collector-check']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /warning/);
      assert.equal(jsonLines(r.stdout)[0]?.collector, null);
    });

    it('--no-collector-check wins over a given collector key', async () => {
      const r = await cli([...verifyArgs(good), '--no-collector-check']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(jsonLines(r.stdout)[0]?.collector, null);
    });
  });

  describe('when the evidence was tampered with', { concurrency: 4 }, () => {
    const cases: [string, () => { leafFile: string; proofFile: string }, string, number | undefined][] = [
      [
        'one proof hash changed',
        () => {
          const p = parseTlogProof(f.log.tlogProof(5n));
          const h = new Uint8Array(p.hashes[1] as Uint8Array);
          h[0] = (h[0] ?? 0) ^ 1;
          p.hashes[1] = h;
          return writeEvidence(f, 'bad-hash', f.log.leaves[5] as Uint8Array, formatTlogProof(p));
        },
        'INCLUSION',
        5,
      ],
      [
        'the wrong index',
        () => {
          const p = parseTlogProof(f.log.tlogProof(5n));
          return writeEvidence(
            f,
            'bad-index',
            f.log.leaves[5] as Uint8Array,
            formatTlogProof({ ...p, index: 4n }),
          );
        },
        'INCLUSION',
        4,
      ],
      [
        'an index beyond the tree',
        () => {
          const p = parseTlogProof(f.log.tlogProof(5n));
          return writeEvidence(
            f,
            'far-index',
            f.log.leaves[5] as Uint8Array,
            formatTlogProof({ ...p, index: 99n }),
          );
        },
        'INCLUSION',
        99,
      ],
      [
        'one byte of the leaf changed',
        () => {
          const leaf = new Uint8Array(f.log.leaves[5] as Uint8Array);
          leaf[20] = (leaf[20] ?? 0) ^ 0x01;
          return writeEvidence(f, 'bad-leaf', leaf, f.log.tlogProof(5n));
        },
        'INCLUSION',
        5,
      ],
      [
        'the proof of another entry',
        () => writeEvidence(f, 'other', f.log.leaves[5] as Uint8Array, f.log.tlogProof(6n)),
        'INCLUSION',
        6,
      ],
      [
        'a checkpoint signed by another key',
        () => {
          const p = parseTlogProof(f.log.tlogProof(5n));
          const impostor = generateKey(f.log.origin);
          const text = p.checkpoint.slice(0, p.checkpoint.indexOf('\n\n') + 1);
          return writeEvidence(
            f,
            'impostor',
            f.log.leaves[5] as Uint8Array,
            formatTlogProof({ ...p, checkpoint: signNote(text, impostor) }),
          );
        },
        'LOG_SIGNATURE',
        undefined,
      ],
      [
        'one cosignature missing under a 2-of-2 policy',
        () => {
          const note = f.log.checkpoint(f.log.size, f.witnesses.slice(0, 1));
          return writeEvidence(f, 'one-cosig', f.log.leaves[5] as Uint8Array, f.log.tlogProof(5n, note));
        },
        'QUORUM',
        undefined,
      ],
    ];
    for (const [name, make, code, index] of cases) {
      it(`exits 1 with ${code} for ${name}`, async () => {
        const r = await cli(verifyArgs(make()));
        assert.equal(r.status, 1, r.stderr);
        assert.equal(errorCode(r.stdout), code);
        assert.equal(errorIndex(r.stdout), index);
        assert.equal(r.stderr.trim().split('\n').length, 1, 'one line on stderr');
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      });
    }

    it('exits 1 with COLLECTOR_SIGNATURE for a logged leaf forged without the collector key', async () => {
      const forger = generateKey('collector/prod');
      const index = f.log.appendLeaf(signLeaf(sampleChange(99), forger));
      const e = writeEvidence(f, 'forged', f.log.leaves[Number(index)] as Uint8Array, f.log.tlogProof(index));
      const r = await cli(verifyArgs(e));
      assert.equal(r.status, 1, r.stderr);
      assert.equal(errorCode(r.stdout), 'COLLECTOR_SIGNATURE');
      assert.equal(errorIndex(r.stdout), Number(index));
    });

    it('reads collector.vkeys beside the policy when no collector key is given', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'il-cli-beside-'));
      const policy = join(dir, 'policy');
      copyFileSync(f.policyFile, policy);
      writeFileSync(join(dir, 'collector.vkeys'), `# trusted collectors\n${f.collectorVkey}\n`);
      const forger = generateKey('collector/prod');
      const index = f.log.appendLeaf(signLeaf(sampleChange(98), forger));
      const e = writeEvidence(
        f,
        'forged-beside',
        f.log.leaves[Number(index)] as Uint8Array,
        f.log.tlogProof(index),
      );
      const args = ['verify', '--policy', policy, '--proof', e.proofFile, '--leaf', e.leafFile, '--json'];
      const r = await cli(args);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(errorCode(r.stdout), 'COLLECTOR_SIGNATURE');
      const ok = await cli([
        'verify',
        '--policy',
        policy,
        '--proof',
        good.proofFile,
        '--leaf',
        good.leafFile,
        '--json',
      ]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(String(jsonLines(ok.stdout)[0]?.collector), /^collector\/prod\+/);
    });

    it('exits 1 with COLLECTOR_SIGNATURE for a leaf signed by the key of another cluster', async () => {
      const other = generateKey('collector/staging');
      const index = f.log.appendLeaf(signLeaf(sampleChange(98, 'prod'), other));
      const e = writeEvidence(f, 'cross', f.log.leaves[Number(index)] as Uint8Array, f.log.tlogProof(index));
      const r = await cli(verifyArgs(e, ['--collector-vkey', other.vkey]));
      assert.equal(r.status, 1, r.stderr);
      assert.equal(errorCode(r.stdout), 'COLLECTOR_SIGNATURE');
    });
  });

  describe('when a file cannot be parsed', { concurrency: 4 }, () => {
    const bad = (name: string, content: string | Uint8Array) => {
      const p = join(f.dir, name);
      writeFileSync(p, content);
      return p;
    };
    const cases: [string, () => string[]][] = [
      ['an empty proof', () => ['--proof', bad('empty.tlog-proof', '')]],
      ['a proof of garbage', () => ['--proof', bad('garbage.tlog-proof', 'hello\nworld\n')]],
      ['a truncated proof', () => ['--proof', bad('trunc.tlog-proof', f.log.tlogProof(5n).slice(0, 60))]],
      [
        'binary bytes as a proof',
        () => ['--proof', bad('bin.tlog-proof', new Uint8Array([0xff, 0xfe, 0, 1, 2]))],
      ],
      [
        'an oversized proof',
        () => ['--proof', bad('huge.tlog-proof', 'c2sp.org/tlog-proof@v1\n'.padEnd(300_000, 'A'))],
      ],
      [
        'a proof index with a leading zero',
        () => ['--proof', bad('lz.tlog-proof', f.log.tlogProof(5n).replace('index 5', 'index 05'))],
      ],
      ['a missing proof file', () => ['--proof', join(f.dir, 'nope.tlog-proof')]],
      ['a directory as proof', () => ['--proof', f.dir]],
      ['a policy of garbage', () => ['--policy', bad('garbage.policy', 'quorum nobody\n')]],
      ['an empty policy', () => ['--policy', bad('empty.policy', '')]],
      ['an oversized leaf', () => ['--leaf', bad('huge.leaf', new Uint8Array(70_000))]],
      ['a leaf of garbage', () => ['--leaf', bad('garbage.leaf', 'hello\n')]],
      [
        'a leaf of random bytes',
        () => ['--leaf', bad('random.leaf', new Uint8Array([0xff, 0xfe, 0x00, 0x41]))],
      ],
      [
        'a leaf note of two text lines',
        () => ['--leaf', bad('two.leaf', '{}\n{}\n\n— collector/prod AAAAAAAA\n')],
      ],
      ['a bad collector vkey', () => ['--collector-vkey', 'collector/prod+zz+AAAA']],
      ['a collector vkey of another name', () => ['--collector-vkey', f.logKey.vkey]],
      ['an unknown flag', () => ['--frobnicate']],
    ];
    for (const [name, extra] of cases) {
      it(`exits 2 for ${name}`, async () => {
        const r = await cli(verifyArgs(good, extra()));
        assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
        assert.ok(r.stderr.trim().length > 0);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      });
    }

    it('exits 2 without the required flags', async () => {
      const r = await runCli(['verify', '--policy', f.policyFile]);
      assert.equal(r.status, 2);
    });
  });
});

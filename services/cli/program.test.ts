// The program as a whole: every command registered with --help, exit statuses, and keys generate.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSkey, parseVkey } from '../../packages/tlog/index.js';
import { cli, jsonLines, runCli } from './testing/run-cli.js';

const COMMANDS = [
  'keys',
  'checkpoint',
  'entries',
  'prove',
  'verify',
  'audit',
  'search',
  'history',
  'up',
  'audit-policy',
];
const SERVICES = ['ledger', 'collector', 'witness', 'reindex'];

describe('the ingress-ledger program', () => {
  it('lists every command, the services included', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.status, 0, r.stderr);
    for (const c of [...COMMANDS, ...SERVICES]) assert.match(r.stdout, new RegExp(`\\n  ${c} `), c);
  });

  it('has --help on every command (exit 0)', async () => {
    for (const c of [...COMMANDS, ...SERVICES]) {
      const r = await cli([c, '--help']);
      assert.equal(r.status, 0, `${c}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: ingress-ledger/);
    }
  });

  it('exits 2 for an unknown command, flag or extra argument', async () => {
    for (const args of [
      ['frobnicate'],
      ['verify', '--nope'],
      ['keys', 'generate', '--name', 'a', '--out', 'b', 'extra'],
      [],
    ]) {
      const r = await cli(args);
      assert.equal(r.status, 2, args.join(' '));
    }
  });

  describe('keys generate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'il-keys-'));

    it('writes an skey (mode 0600) and its vkey', async () => {
      const r = await cli([
        'keys',
        'generate',
        '--name',
        'ingress-ledger.example/prod',
        '--out',
        join(dir, 'log'),
        '--json',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const skey = parseSkey(readFileSync(join(dir, 'log.key'), 'utf8').trim());
      const vkey = parseVkey(readFileSync(join(dir, 'log.vkey'), 'utf8').trim());
      assert.equal(statSync(join(dir, 'log.key')).mode & 0o777, 0o600);
      assert.equal(vkey.vkey, skey.vkey);
      assert.equal(jsonLines(r.stdout)[0]?.vkey, vkey.vkey);
    });

    it('writes the cosignature/v1 vkey with --witness', async () => {
      const r = await cli([
        'keys',
        'generate',
        '--name',
        'witness.example',
        '--out',
        join(dir, 'w'),
        '--witness',
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(parseVkey(readFileSync(join(dir, 'w.vkey'), 'utf8').trim()).type, 0x04);
    });

    it('refuses to overwrite without --force, and bad names', async () => {
      assert.equal((await cli(['keys', 'generate', '--name', 'x', '--out', join(dir, 'log')])).status, 2);
      assert.equal(
        (await cli(['keys', 'generate', '--name', 'x', '--out', join(dir, 'log'), '--force'])).status,
        0,
      );
      for (const name of ['a b', 'a+b', '']) {
        assert.equal(
          (await cli(['keys', 'generate', '--name', name, '--out', join(dir, 'bad')])).status,
          2,
          name,
        );
      }
      assert.equal(
        (await cli(['keys', 'generate', '--name', 'x', '--out', join(dir, 'no', 'such', 'dir')])).status,
        2,
      );
    });
  });
});

// `ingress-ledger export` as an operator runs it: exit statuses, and kill -9 in the middle of an
// export to a directory and to S3 (moto_server), then the rerun that finishes it.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { hasMoto, type Moto, serveDir, startMoto, writeLayout } from '../../../packages/export/testing.js';
import { generateKey } from '../../../packages/tlog/index.js';
import { MemoryLog } from '../../../packages/tlog/testing.js';
import { runCli, spawnCli } from '../testing/run-cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'il-export-cli-'));

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ingress-ledger export', { timeout: 300_000 }, () => {
  const log = new MemoryLog({
    logKey: generateKey('example.test/log'),
    witnesses: [{ name: 'w1', key: generateKey('w1.test') }],
  });
  for (let i = 0; i < 20_000; i++) log.append(`leaf ${i} `.padEnd(300, '.'));
  const src = tmp();
  writeLayout(log, src, log.checkpoint());
  const policy = join(tmp(), 'policy');
  writeFileSync(policy, log.policy());
  let url = '';
  let close = () => {};
  before(async () => {
    const s = await serveDir(src);
    url = s.url;
    close = () => s.server.close();
  });
  after(() => close());

  const bundles = (dir: string) =>
    existsSync(join(dir, 'tile/entries')) ? readdirSync(join(dir, 'tile/entries')).length : 0;

  it('resumes a directory export killed with SIGKILL, and a rerun is a no-op', async () => {
    const out = tmp();
    const child = spawnCli([
      'export',
      '--from',
      url,
      '--to',
      out,
      '--policy',
      policy,
      '--once',
      '--concurrency',
      '1',
    ]);
    await until(() => bundles(out) >= 5, 'some bundles written');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(!existsSync(join(out, 'checkpoint')), 'killed before the end');
    const r = await runCli(['export', '--from', url, '--to', out, '--policy', policy, '--once']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /tree size 0 -> 20000/);
    assert.equal(
      readFileSync(join(out, 'checkpoint'), 'utf8'),
      readFileSync(join(src, 'checkpoint'), 'utf8'),
    );
    assert.equal(bundles(out), 79);
    const again = await runCli(['export', '--from', out, '--to', tmp(), '--policy', policy, '--once']);
    assert.equal(again.status, 0, again.stderr);
  });

  it('exits 1 on a conflict and on a checkpoint that does not verify, 2 on usage errors', async () => {
    const out = tmp();
    assert.equal(
      (await runCli(['export', '--from', url, '--to', out, '--policy', policy, '--once'])).status,
      0,
    );
    writeFileSync(join(out, 'checkpoint'), log.checkpoint(10n));
    const rolledBack = await runCli(['export', '--from', url, '--to', out, '--policy', policy, '--once']);
    // The export's checkpoint says 10, so the step starts there; every object it rewrites is the same.
    assert.equal(rolledBack.status, 0, rolledBack.stderr);
    writeFileSync(join(out, 'checkpoint'), log.checkpoint(10n));
    chmodSync(join(out, 'tile/0/000'), 0o644);
    writeFileSync(join(out, 'tile/0/000'), Buffer.alloc(8192));
    const conflict = await runCli(['export', '--from', url, '--to', out, '--policy', policy, '--once']);
    assert.equal(conflict.status, 1, conflict.stderr);
    assert.match(conflict.stderr, /CONFLICT: .*tile\/0\/000/);
    writeFileSync(join(out, 'tile/0/000'), readFileSync(join(src, 'tile/0/000')));
    writeFileSync(join(out, 'checkpoint'), log.checkpoint(19_999n, []));
    const unverified = await runCli(['export', '--from', url, '--to', out, '--policy', policy, '--once']);
    assert.equal(unverified.status, 1, unverified.stderr);
    assert.match(unverified.stderr, /VERIFY_FAILED/);
    for (const args of [
      ['--from', url, '--to', out, '--once'],
      ['--from', url, '--to', out, '--policy', policy, '--log-vkey', log.logKey.vkey, '--once'],
      ['--from', url, '--to', out, '--policy', policy, '--object-lock', 'compliance', '--once'],
      [
        '--from',
        url,
        '--to',
        out,
        '--policy',
        policy,
        '--object-lock',
        'compliance',
        '--retain',
        '7y',
        '--once',
      ],
      ['--from', url, '--to', 's3://x/y', '--policy', policy, '--object-lock', 'forever', '--retain', '7y'],
      [
        '--from',
        url,
        '--to',
        's3://bucket/p',
        '--policy',
        policy,
        '--object-lock',
        'compliance',
        '--retain',
        '7 years',
      ],
      ['--from', url, '--to', 'http://example.com/', '--policy', policy],
    ]) {
      const r = await runCli(['export', ...args]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  });

  describe('to S3', { skip: hasMoto() ? false : 'moto_server is not installed' }, () => {
    let moto: Moto;
    before(async () => {
      moto = await startMoto();
    });
    after(async () => {
      await moto?.stop();
    });

    it('resumes an S3 export killed with SIGKILL, with retention on what it writes', async () => {
      await moto.bucket('killed');
      const args = ['export', '--from', url, '--to', 's3://killed/prod', '--policy', policy, '--once'];
      const lock = ['--object-lock', 'compliance', '--retain', '1d'];
      const child = spawnCli([...args, ...lock, '--concurrency', '1'], moto.env);
      const count = async () =>
        (await moto.client.send(new ListObjectsV2Command({ Bucket: 'killed', Prefix: 'prod/tile/entries/' })))
          .KeyCount ?? 0;
      await until(async () => (await count()) >= 5, 'some objects written');
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const r = await runCli([...args, ...lock], { env: moto.env, timeoutMs: 240_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /tree size 0 -> 20000/);
      assert.equal(await count(), 79);
      const copy = tmp();
      const back = await runCli(
        ['export', '--from', 's3://killed/prod', '--to', copy, '--policy', policy, '--once'],
        {
          env: moto.env,
          timeoutMs: 120_000,
        },
      );
      assert.equal(back.status, 0, back.stderr);
      assert.equal(bundles(copy), 79);
    });
  });
});

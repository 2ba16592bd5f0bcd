// Export from a tiles layout served over HTTP into a directory: what it writes, that it verifies
// before writing, that it resumes and is idempotent, and that it refuses a target that differs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatCheckpoint, generateKey, parsePolicy, parseVkey } from '../tlog/index.js';
import { cosignedCheckpoint, MemoryLog } from '../tlog/testing.js';
import {
  checkpointCheck,
  DirLayout,
  ExportError,
  exportStep,
  type LayoutReader,
  openLayout,
  parseLocation,
  tilesSource,
} from './index.js';
import { serveDir, writeLayout } from './testing.js';

function makeLog(n: number) {
  const witness = { name: 'w1', key: generateKey('w1.test') };
  const log = new MemoryLog({ logKey: generateKey('example.test/log'), witnesses: [witness] });
  for (let i = 0; i < n; i++) log.append(`leaf ${i}\n`);
  return log;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'il-export-'));

async function expectCode(p: Promise<unknown>, code: ExportError['code']) {
  await assert.rejects(p, (err: unknown) => err instanceof ExportError && err.code === code);
}

describe('export to a directory', () => {
  const servers: { close(): void }[] = [];
  after(() => {
    for (const s of servers) s.close();
  });

  async function served(log: MemoryLog, size?: bigint) {
    const dir = tmp();
    writeLayout(log, dir, log.checkpoint(size), size);
    const s = await serveDir(dir);
    servers.push(s.server);
    return { dir, source: tilesSource(s.url), requests: s.requests };
  }

  it('copies checkpoint, tiles and bundles, and keeps checkpoints/<size>', async () => {
    const log = makeLog(70_000);
    const { source } = await served(log);
    const out = tmp();
    const check = checkpointCheck({ policy: parsePolicy(log.policy()) });
    const r = await exportStep({ source, target: new DirLayout(out).openForWriting(), check });
    assert.equal(r.to, 70_000n);
    assert.ok(existsSync(join(out, 'checkpoint')));
    assert.ok(existsSync(join(out, 'checkpoints/70000')));
    assert.ok(existsSync(join(out, 'tile/0/272')));
    assert.ok(existsSync(join(out, 'tile/0/273.p/112')));
    assert.ok(existsSync(join(out, 'tile/1/000')));
    assert.ok(existsSync(join(out, 'tile/1/001.p/17')));
    assert.ok(existsSync(join(out, 'tile/2/000.p/1')));
    assert.ok(existsSync(join(out, 'tile/entries/273.p/112')));
    // The export is itself a layout a second export (or restore) reads and verifies.
    const again = await exportStep({
      source: new DirLayout(out),
      target: new DirLayout(tmp()).openForWriting(),
      check,
    });
    assert.equal(again.to, 70_000n);
  });

  it('resumes from what the target holds, and is idempotent', async () => {
    const log = makeLog(300);
    const check = checkpointCheck({ vkey: parseVkey(log.logKey.vkey) });
    const out = tmp();
    const first = await served(log, 100n);
    assert.equal(
      (await exportStep({ source: first.source, target: new DirLayout(out).openForWriting(), check })).to,
      100n,
    );
    const second = await served(log);
    const r = await exportStep({ source: second.source, target: new DirLayout(out).openForWriting(), check });
    assert.deepEqual([r.from, r.to], [100n, 300n]);
    // Only the tiles from the old right edge on were read, not the whole log again.
    assert.ok(!second.requests.includes('/tile/entries/000.p/100'));
    assert.ok(existsSync(join(out, 'tile/0/000.p/100')) && existsSync(join(out, 'tile/0/000')));
    const noop = await exportStep({
      source: second.source,
      target: new DirLayout(out).openForWriting(),
      check,
    });
    assert.deepEqual([noop.from, noop.to], [300n, 300n]);
  });

  it('refuses an immutable object that holds other bytes, and writes no checkpoint', async () => {
    const log = makeLog(300);
    const check = checkpointCheck({ vkey: parseVkey(log.logKey.vkey) });
    const { source } = await served(log);
    const out = tmp();
    const tile = join(out, 'tile/0/000');
    await exportStep({ source, target: new DirLayout(out).openForWriting(), check });
    const old = readFileSync(join(out, 'checkpoint'));
    rmSync(join(out, 'checkpoint'));
    chmodSync(tile, 0o644);
    const bytes = readFileSync(tile);
    bytes[5] = (bytes[5] ?? 0) ^ 1;
    writeFileSync(tile, bytes);
    await expectCode(exportStep({ source, target: new DirLayout(out).openForWriting(), check }), 'CONFLICT');
    assert.ok(!existsSync(join(out, 'checkpoint')));
    assert.ok(old.length > 0);
  });

  it('verifies before writing: a changed leaf, tile or checkpoint is never written, nor a checkpoint', async () => {
    const log = makeLog(600);
    const check = checkpointCheck({ policy: parsePolicy(log.policy()) });
    const cases: [string, (dir: string) => void][] = [
      ['a leaf byte', (d) => flip(join(d, 'tile/entries/001'), 40)],
      ['a hash in a full tile', (d) => flip(join(d, 'tile/0/001'), 100)],
      ['a hash in a partial tile', (d) => flip(join(d, 'tile/0/002.p/88'), 0)],
      ['the level-1 tile', (d) => flip(join(d, 'tile/1/000.p/2'), 33)],
      [
        'a truncated bundle',
        (d) =>
          writeFileSync(
            join(d, 'tile/entries/000'),
            readFileSync(join(d, 'tile/entries/000')).subarray(0, 100),
          ),
      ],
      [
        'a bundle with an extra entry',
        (d) =>
          writeFileSync(
            join(d, 'tile/entries/002.p/88'),
            Buffer.concat([readFileSync(join(d, 'tile/entries/002.p/88')), Buffer.from([0, 1, 65])]),
          ),
      ],
      [
        'the checkpoint root',
        (d) => {
          const text = formatCheckpoint({
            origin: log.origin,
            size: 600n,
            rootHash: log.root(599n),
            extensions: [],
          });
          writeFileSync(join(d, 'checkpoint'), cosignedCheckpoint(text, log.logKey, log.witnesses, 1n));
        },
      ],
      [
        'an unsigned checkpoint',
        (d) => writeFileSync(join(d, 'checkpoint'), `${log.checkpointText()}\n— nobody AAAA\n`),
      ],
      [
        'a checkpoint without the quorum',
        (d) => writeFileSync(join(d, 'checkpoint'), log.checkpoint(600n, [])),
      ],
      [
        'a checkpoint of binary junk',
        (d) => writeFileSync(join(d, 'checkpoint'), Buffer.from([0xff, 0xfe, 0, 10])),
      ],
    ];
    const good = tmp();
    writeLayout(log, good, log.checkpoint());
    for (const [what, spoil] of cases) {
      const dir = tmp();
      writeLayout(log, dir, log.checkpoint());
      spoil(dir);
      const out = tmp();
      await assert.rejects(
        exportStep({ source: new DirLayout(dir), target: new DirLayout(out).openForWriting(), check }),
        (err: unknown) => err instanceof ExportError && err.code === 'VERIFY_FAILED',
        what,
      );
      assert.ok(!existsSync(join(out, 'checkpoint')), what);
      // Objects that verified may be there (a rerun finds them); the changed one never is.
      for (const f of [
        'tile/entries/001',
        'tile/0/001',
        'tile/0/002.p/88',
        'tile/1/000.p/2',
        'tile/entries/000',
        'tile/entries/002.p/88',
      ])
        if (existsSync(join(out, f)))
          assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(good, f)), what);
    }
  });

  it('fails cleanly on missing and oversized objects', async () => {
    const log = makeLog(10);
    const check = checkpointCheck({ vkey: parseVkey(log.logKey.vkey) });
    const dir = tmp();
    writeLayout(log, dir, log.checkpoint());
    rmSync(join(dir, 'tile/0/000.p/10'));
    await expectCode(
      exportStep({ source: new DirLayout(dir), target: new DirLayout(tmp()).openForWriting(), check }),
      'SOURCE',
    );
    writeFileSync(join(dir, 'tile/0/000.p/10'), Buffer.alloc(9000));
    await expectCode(
      exportStep({ source: new DirLayout(dir), target: new DirLayout(tmp()).openForWriting(), check }),
      'SOURCE',
    );
    writeFileSync(join(dir, 'checkpoint'), Buffer.alloc(100_000, 65));
    await expectCode(
      exportStep({ source: new DirLayout(dir), target: new DirLayout(tmp()).openForWriting(), check }),
      'SOURCE',
    );
    const empty: LayoutReader = { describe: 'empty', read: async () => undefined };
    await expectCode(
      exportStep({ source: empty, target: new DirLayout(tmp()).openForWriting(), check }),
      'SOURCE',
    );
  });

  it('refuses an export of another tree of the same size (a fork)', async () => {
    const log = makeLog(20);
    const fork = new MemoryLog({ logKey: log.logKey, witnesses: log.witnesses });
    for (let i = 0; i < 20; i++) fork.append(`other ${i}\n`);
    const check = checkpointCheck({ vkey: parseVkey(log.logKey.vkey) });
    const out = tmp();
    await exportStep({
      source: (await served(log)).source,
      target: new DirLayout(out).openForWriting(),
      check,
    });
    await expectCode(
      exportStep({ source: (await served(fork)).source, target: new DirLayout(out).openForWriting(), check }),
      'CONFLICT',
    );
    fork.append('one more\n');
    await expectCode(
      exportStep({ source: (await served(fork)).source, target: new DirLayout(out).openForWriting(), check }),
      'VERIFY_FAILED',
    );
  });

  it('parses locations strictly', () => {
    assert.deepEqual(parseLocation('s3://bucket-1/a/b/', '--to'), {
      kind: 's3',
      bucket: 'bucket-1',
      prefix: 'a/b',
    });
    assert.deepEqual(parseLocation('s3://bucket-1', '--to'), { kind: 's3', bucket: 'bucket-1', prefix: '' });
    for (const bad of [
      's3://',
      's3://UPPER/x',
      's3://b/../x',
      's3://bb/a//b',
      'ftp://x/y',
      '',
      's3://bb/a\\b',
    ])
      assert.throws(() => parseLocation(bad, '--to'), ExportError, bad);
    assert.throws(() => openLayout(parseLocation('http://x/', '--to'), 'write'), ExportError);
  });
});

function flip(file: string, at: number): void {
  const b = readFileSync(file);
  b[at] = (b[at] ?? 0) ^ 1;
  writeFileSync(file, b);
}

describe('bodies in an export', () => {
  const body = new TextEncoder().encode('{"spec":{"rules":[]}}');
  const sha = Buffer.from(createHash('sha256').update(body).digest()).toString('hex');
  const log = new MemoryLog({ logKey: generateKey('example.test/bodies') });
  log.append(
    `{"request":{"sha256":"${sha}","size":${body.length}},"response":null}\n\n— x AAAA\n`,
    'plain\n',
  );
  const check = checkpointCheck({ vkey: parseVkey(log.logKey.vkey) });
  const layout = (b?: Uint8Array) => {
    const dir = tmp();
    writeLayout(log, dir, log.checkpoint(), log.size, b === undefined ? new Map() : new Map([[sha, b]]));
    return new DirLayout(dir);
  };

  it('copies a body a leaf names, by its digest', async () => {
    const out = tmp();
    await exportStep({ source: layout(body), target: new DirLayout(out).openForWriting(), check });
    assert.deepEqual(new Uint8Array(readFileSync(join(out, `bodies/${sha}`))), body);
  });

  it('refuses a body that does not match its digest or size, and a missing one', async () => {
    const changed = Uint8Array.from(body);
    changed[3] = 0x41;
    await expectCode(
      exportStep({ source: layout(changed), target: new DirLayout(tmp()).openForWriting(), check }),
      'VERIFY_FAILED',
    );
    await expectCode(
      exportStep({
        source: layout(new Uint8Array([...body, 32])),
        target: new DirLayout(tmp()).openForWriting(),
        check,
      }),
      'SOURCE',
    );
    await expectCode(
      exportStep({ source: layout(), target: new DirLayout(tmp()).openForWriting(), check }),
      'SOURCE',
    );
  });
});

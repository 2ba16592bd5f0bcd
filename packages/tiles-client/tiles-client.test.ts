// The tiles client against hostile locations: paths outside the layout, answers over their size
// cap (declared or streamed), slow servers, odd statuses, planted files, and tiles or bundles of
// the wrong shape. Each is a TilesError with its code, never a hang or a crash.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeEntryBundle } from '../tlog/index.js';
import { MemoryLog } from '../tlog/testing.js';
import {
  checkLayoutPath,
  dirFetcher,
  fetchCheckpointNote,
  httpFetcher,
  openTiles,
  TileLog,
  TilesError,
  type TilesErrorCode,
} from './index.js';

const code = (c: TilesErrorCode) => (e: unknown) => e instanceof TilesError && e.code === c;

describe('layout paths', () => {
  it('accepts the layout and refuses anything else', () => {
    for (const p of ['checkpoint', 'tile/0/x001/234', 'tile/entries/000.p/5', `bodies/${'a'.repeat(64)}`]) {
      checkLayoutPath(p);
    }
    for (const p of [
      '',
      '/etc/passwd',
      '../checkpoint',
      'tile/../../x',
      'tile//0',
      'tile/0/',
      'a?b',
      'A',
      'x'.repeat(200),
    ]) {
      assert.throws(() => checkLayoutPath(p), code('BAD_LOCATION'), p);
    }
  });

  it('opens only http(s) URLs and existing directories', () => {
    for (const l of [
      'ftp://x/y',
      's3://bucket/prefix',
      '/no/such/dir',
      'http://x/tiles?a=1',
      'http://[bad',
    ]) {
      assert.throws(() => openTiles(l), code('BAD_LOCATION'), l);
    }
  });
});

describe('a directory of tiles', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'il-tiles-client-'));
    mkdirSync(join(dir, 'tile/0/000.p'), { recursive: true });
    mkdirSync(join(dir, 'tile/entries/000.p'), { recursive: true });
    mkdirSync(join(dir, 'tile/0/001'), { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers undefined for a missing file and refuses a planted large one before reading it', async () => {
    const f = dirFetcher(dir);
    assert.equal(await f.fetch('checkpoint', 100), undefined);
    writeFileSync(join(dir, 'checkpoint'), Buffer.alloc(101));
    await assert.rejects(f.fetch('checkpoint', 100), code('TOO_LARGE'));
    await assert.rejects(f.fetch('tile/0/001', 100), code('MALFORMED'), 'a directory where a file should be');
  });

  it('refuses tiles and bundles whose shape is not the one the size requires', async () => {
    const log = new MemoryLog().append('a', 'b', 'c');
    writeFileSync(join(dir, 'checkpoint'), log.checkpoint());
    const f = dirFetcher(dir);
    assert.match(await fetchCheckpointNote(f), /\n3\n/);
    const tiles = new TileLog(f, 3n);
    await assert.rejects(tiles.hashTile(0, 0n), code('MISSING'));
    writeFileSync(join(dir, 'tile/0/000.p/3'), Buffer.alloc(95));
    await assert.rejects(tiles.hashTile(0, 0n), code('MALFORMED'));
    writeFileSync(join(dir, 'tile/0/000.p/3'), Buffer.alloc(97));
    await assert.rejects(tiles.hashTile(0, 0n), code('MALFORMED'));
    writeFileSync(join(dir, 'tile/0/000.p/3'), Buffer.alloc(9000));
    await assert.rejects(tiles.hashTile(0, 0n), code('TOO_LARGE'));
    const abc = ['a', 'b', 'c'].map((s) => new TextEncoder().encode(s));
    writeFileSync(join(dir, 'tile/entries/000.p/3'), encodeEntryBundle(abc.slice(0, 2)));
    await assert.rejects(tiles.entryBundle(0n), code('MALFORMED'), 'too few entries');
    writeFileSync(join(dir, 'tile/entries/000.p/3'), encodeEntryBundle(abc).subarray(0, 8));
    await assert.rejects(tiles.entryBundle(0n), code('MALFORMED'), 'truncated');
    writeFileSync(
      join(dir, 'tile/entries/000.p/3'),
      Buffer.concat([encodeEntryBundle(abc), Buffer.from([0])]),
    );
    await assert.rejects(tiles.entryBundle(0n), code('MALFORMED'), 'a byte after the last entry');
    writeFileSync(join(dir, 'tile/entries/000.p/3'), encodeEntryBundle(abc));
    assert.deepEqual(
      (await tiles.entryBundle(0n)).map((b) => new TextDecoder().decode(b)),
      ['a', 'b', 'c'],
    );
    await assert.rejects(tiles.leaf(3n), code('MISSING'));
    await assert.rejects(tiles.inclusionProof(5n), code('MISSING'));
    await assert.rejects(tiles.consistencyProof(1n, 4n), code('MISSING'));
    await assert.rejects(tiles.body('ABC'), code('BAD_LOCATION'));
  });
});

describe('tiles over HTTP', () => {
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case '/t/checkpoint':
          res.end('ok');
          return;
        case '/t/declared':
          res.writeHead(200, { 'content-length': '5000' });
          res.end(Buffer.alloc(5000));
          return;
        case '/t/streamed':
          res.writeHead(200);
          for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
          res.end();
          return;
        case '/t/slow':
          res.writeHead(200);
          res.write('x');
          return; // never ends
        case '/t/error':
          res.writeHead(503);
          res.end('busy');
          return;
        case '/t/redirect':
          res.writeHead(302, { location: '/t/checkpoint' });
          res.end();
          return;
        default:
          res.writeHead(404);
          res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/t`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('reads, answers 404 as undefined, and refuses oversized, slow, failing and redirected answers', async () => {
    const f = httpFetcher(new URL(base), { timeoutMs: 500 });
    try {
      assert.equal(new TextDecoder().decode(await f.fetch('checkpoint', 10)), 'ok');
      assert.equal(await f.fetch('missing', 10), undefined);
      await assert.rejects(f.fetch('declared', 4096), code('TOO_LARGE'));
      await assert.rejects(f.fetch('streamed', 4096), code('TOO_LARGE'));
      await assert.rejects(f.fetch('slow', 4096), code('TIMEOUT'));
      await assert.rejects(f.fetch('error', 4096), code('BAD_STATUS'));
      await assert.rejects(f.fetch('redirect', 4096), code('BAD_STATUS'));
      await assert.rejects(f.fetch('../t/checkpoint', 4096), code('BAD_LOCATION'));
      // Still usable after all that.
      assert.equal(new TextDecoder().decode(await f.fetch('checkpoint', 10)), 'ok');
    } finally {
      f.close();
    }
    const closed = httpFetcher(new URL('http://127.0.0.1:1/t'), { timeoutMs: 2000 });
    await assert.rejects(closed.fetch('checkpoint', 10), code('UNREACHABLE'));
    closed.close();
  });
});

// The tlog-witness protocol over real HTTP on loopback: every status of the spec with exact bodies
// and headers, hostile bodies, concurrency on one origin, and restart on the same data directory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../packages/runtime/index.js';
import {
  cosignatureVerifier,
  formatAddCheckpoint,
  generateKey,
  openNote,
  type PrivateKey,
  parseSignatureLines,
  parseVkey,
} from '../../packages/tlog/index.js';
import { MemoryLog } from '../../packages/tlog/testing.js';
import { type RunningWitness, startWitness } from './service.js';
import { originHash } from './witness.js';

interface Reply {
  status: number;
  type: string | undefined;
  body: string;
}

function send(url: string, method: string, body?: string | Uint8Array): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const enc = (s: string) => new TextEncoder().encode(s);

const pub = (k: PrivateKey) => parseVkey(k.vkey);

describe('witness add-checkpoint over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'witness-http-'));
  const log = new MemoryLog({ logKey: generateKey('example.com/log-a') }).append('a', 'b', 'c');
  const fresh = new MemoryLog({ logKey: generateKey('example.com/log-b') });
  const stranger = new MemoryLog({ logKey: generateKey('example.com/unknown') });
  const witnessKey = generateKey('witness.example/w1');
  let w: RunningWitness;
  const add = (body: string | Uint8Array) => send(`${w.url}/add-checkpoint`, 'POST', body);
  const start = () =>
    startWitness(
      { dataDir: dir, listen: '127.0.0.1:0', key: witnessKey, logs: [log.key, fresh.key].map(pub) },
      { logger: silentLogger() },
    );

  before(async () => {
    w = await start();
  });
  after(async () => {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('when the body is malformed', () => {
    const cp = () => log.checkpoint(3n);
    const cases: [string, string | Uint8Array][] = [
      ['empty body', ''],
      ['no newline at all', 'old 0'],
      ['leading zero', `old 03\n\n${cp()}`],
      ['plus sign', `old +3\n\n${cp()}`],
      ['trailing garbage', `old 11abc\n\n${cp()}`],
      ['two spaces', `old  0\n\n${cp()}`],
      ['capitalised keyword', `Old 0\n\n${cp()}`],
      ['CRLF line ends', `old 0\r\n\r\n${cp()}`],
      ['size beyond 2^63-1', `old 9223372036854775808\n\n${cp()}`],
      ['no blank line', `old 0\n`],
      ['proof line not base64', `old 0\nnot base64!\n\n${cp()}`],
      ['proof hash of 31 bytes', `old 0\n${Buffer.alloc(31).toString('base64')}\n\n${cp()}`],
      ['64 proof lines', `old 0\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n${cp()}`],
      ['no checkpoint', 'old 0\n\n'],
      ['checkpoint without signatures', `old 0\n\n${cp().split('\n\n')[0]}\n`],
      ['checkpoint size with leading zero', `old 0\n\n${cp().replace('\n3\n', '\n03\n')}`],
      ['invalid UTF-8', new Uint8Array([...enc('old 0\n\n'), 0xff, 0xfe, 0x0a])],
    ];
    for (const [name, body] of cases) {
      it(`answers 400 to ${name}`, async () => {
        const r = await add(body);
        assert.equal(r.status, 400, r.body);
        assert.equal(r.body, 'MALFORMED\n');
      });
    }
  });

  it('answers 404 to an unknown origin', async () => {
    stranger.append('x');
    const r = await add(formatAddCheckpoint(0n, [], stranger.checkpoint()));
    assert.equal(r.status, 404);
    assert.equal(r.body, 'UNKNOWN_ORIGIN\n');
  });

  it('answers 403 when no signature by a trusted key verifies', async () => {
    const impostor = generateKey(log.origin); // same name, other key: its signature is ignored
    const r1 = await add(formatAddCheckpoint(0n, [], log.signedCheckpoint(3n, impostor)));
    assert.equal(r1.status, 403);
    const good = log.checkpoint(3n);
    const sigAt = good.lastIndexOf(' ') + 5;
    const flipped = good.slice(0, sigAt) + (good[sigAt] === 'A' ? 'B' : 'A') + good.slice(sigAt + 1);
    const r2 = await add(formatAddCheckpoint(0n, [], flipped));
    assert.equal(r2.status, 403);
    assert.equal(r2.body, 'FORBIDDEN\n');
  });

  it('answers 400 when old is larger than the checkpoint size', async () => {
    const r = await add(formatAddCheckpoint(4n, [], log.checkpoint(3n)));
    assert.equal(r.status, 400);
    assert.equal(r.body, 'BAD_OLD_SIZE\n');
  });

  it('answers 422 to a non-empty proof from size 0', async () => {
    fresh.append('1', '2');
    const r = await add(formatAddCheckpoint(0n, [fresh.root(1n)], fresh.checkpoint()));
    assert.equal(r.status, 422);
    assert.equal(r.body, 'BAD_PROOF\n');
  });

  it('cosigns the first checkpoint from old 0 with one verifiable cosignature line', async () => {
    const note = log.checkpoint(3n);
    const r = await add(formatAddCheckpoint(0n, [], note));
    assert.equal(r.status, 200);
    assert.equal(r.type, 'text/plain; charset=utf-8');
    assert.match(r.body, /^— witness\.example\/w1 [A-Za-z0-9+/=]+\n$/);
    const [sig] = parseSignatureLines(r.body);
    assert.equal(sig?.signature.length, 72);
    const opened = openNote(note + r.body, [cosignatureVerifier(w.vkey)]);
    assert.equal(opened.verified.length, 1);
  });

  it('answers 409 with the latest size as text/x.tlog.size when old is stale', async () => {
    log.append('d', 'e');
    const r = await add(formatAddCheckpoint(0n, [], log.checkpoint(5n)));
    assert.equal(r.status, 409);
    assert.equal(r.type, 'text/x.tlog.size');
    assert.equal(r.body, '3\n');
    const r2 = await add(formatAddCheckpoint(2n, log.consistencyProof(2n, 5n), log.checkpoint(5n)));
    assert.equal(r2.status, 409);
    assert.equal(r2.body, '3\n');
  });

  it('answers 422 to a consistency proof that does not verify', async () => {
    const proof = log.consistencyProof(3n, 5n);
    const bad = proof.map((h, i) => (i === 0 ? h.map((b, j) => (j === 0 ? b ^ 1 : b)) : h));
    const r1 = await add(formatAddCheckpoint(3n, bad, log.checkpoint(5n)));
    assert.equal(r1.status, 422);
    const r2 = await add(formatAddCheckpoint(3n, proof.slice(1), log.checkpoint(5n)));
    assert.equal(r2.status, 422);
    const r3 = await add(formatAddCheckpoint(3n, [...proof, proof[0]!], log.checkpoint(5n)));
    assert.equal(r3.status, 422);
  });

  it('cosigns a consistent extension and the same checkpoint again', async () => {
    const r1 = await add(formatAddCheckpoint(3n, log.consistencyProof(3n, 5n), log.checkpoint(5n)));
    assert.equal(r1.status, 200);
    // Also signed by a key the witness does not know: ignored, and not kept.
    const r2 = await add(
      formatAddCheckpoint(5n, [], log.signedCheckpoint(5n, log.key, generateKey('other.example/k'))),
    );
    assert.equal(r2.status, 200);
  });

  it('refuses a fork: same size with another root is 422 (DESIGN 3.5), growth from the fork is 422', async () => {
    const fork = new MemoryLog({ logKey: log.key }).append('a', 'b', 'c', 'd', 'X', 'Y', 'Z');
    const r1 = await add(formatAddCheckpoint(5n, [], fork.checkpoint(5n)));
    assert.equal(r1.status, 422);
    const r2 = await add(formatAddCheckpoint(5n, fork.consistencyProof(5n, 7n), fork.checkpoint(7n)));
    assert.equal(r2.status, 422);
  });

  it('serves the latest cosigned checkpoint at <prefix>/<hex sha256(origin)>/checkpoint', async () => {
    const r = await send(`${w.url}/${originHash(log.origin)}/checkpoint`, 'GET');
    assert.equal(r.status, 200);
    assert.ok(r.body.startsWith(`${log.origin}\n5\n`));
    const opened = openNote(r.body, [pub(log.key), cosignatureVerifier(w.vkey)]);
    assert.equal(opened.verified.length, 2);
    assert.equal(opened.note.signatures.length, 2);
    assert.equal((await send(`${w.url}/${originHash(stranger.origin)}/checkpoint`, 'GET')).status, 404);
    const upper = originHash(log.origin).toUpperCase();
    assert.equal((await send(`${w.url}/${upper}/checkpoint`, 'GET')).status, 404);
  });

  it('answers 404 to unknown paths and 405 to wrong methods', async () => {
    assert.equal((await send(`${w.url}/`, 'GET')).status, 404);
    assert.equal((await send(`${w.url}/add-checkpoint/x`, 'POST', 'old 0\n')).status, 404);
    const r = await send(`${w.url}/add-checkpoint`, 'GET');
    assert.equal(r.status, 405);
    assert.equal((await send(`${w.url}/${originHash(log.origin)}/checkpoint`, 'POST', '')).status, 405);
  });

  it('answers 413 to a body over the limit', async () => {
    const r = await add(`old 0\n\n${'x'.repeat(70 * 1024)}`);
    assert.equal(r.status, 413);
  });

  it('lets exactly one of many concurrent requests from the same old size win', async () => {
    log.append('f', 'g', 'h', 'i', 'j', 'k', 'l', 'm');
    const sizes = [6n, 7n, 8n, 9n, 10n, 11n, 12n, 13n];
    const replies = await Promise.all(
      sizes.map((n) => add(formatAddCheckpoint(5n, log.consistencyProof(5n, n), log.checkpoint(n)))),
    );
    const won = replies.filter((r) => r.status === 200);
    assert.equal(won.length, 1);
    for (const r of replies) if (r.status !== 200) assert.equal(r.status, 409);
    const winner = sizes[replies.indexOf(won[0]!)];
    for (const r of replies) if (r.status === 409) assert.equal(r.body, `${winner}\n`);
  });

  it('keeps its state across a restart', async () => {
    const before = await send(`${w.url}/${originHash(log.origin)}/checkpoint`, 'GET');
    await w.close();
    w = await start();
    const afterRestart = await send(`${w.url}/${originHash(log.origin)}/checkpoint`, 'GET');
    assert.equal(afterRestart.body, before.body);
    const size = before.body.split('\n')[1];
    const r = await add(formatAddCheckpoint(0n, [], log.checkpoint(13n)));
    assert.equal(r.status, 409);
    assert.equal(r.body, `${size}\n`);
  });
});

describe('witness timeouts', () => {
  it('answers 408 and closes a connection whose body never finishes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witness-timeout-'));
    const log = new MemoryLog({ logKey: generateKey('example.com/slow') });
    const w = await startWitness(
      {
        dataDir: dir,
        listen: '127.0.0.1:0',
        key: generateKey('w.example/t'),
        logs: [pub(log.key)],
        requestTimeoutMs: 300,
      },
      { logger: silentLogger() },
    );
    try {
      const { port } = new URL(w.url);
      const started = Date.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(Number(port), '127.0.0.1', () => {
          s.write('POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nold 0\n');
        });
        let got = '';
        s.on('data', (c: Buffer) => {
          got += c.toString();
        });
        s.on('close', () => resolve(got));
        s.on('error', reject);
      });
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.ok(Date.now() - started < 3000);
    } finally {
      await w.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

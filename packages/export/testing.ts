// packages/export test support (not in the image): the DESIGN 10 layout of an in-memory log written
// to a directory, served over real HTTP, and a moto_server (S3 with Object Lock) on loopback.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  encodeEntryBundle,
  entriesPath,
  MAX_TILE_LEVEL,
  readTile,
  TILE_HEIGHT,
  TILE_WIDTH,
  tilePath,
  tileWidth,
} from '../tlog/index.js';
import type { MemoryLog } from '../tlog/testing.js';

/** Writes the tiles, bundles, bodies and `checkpoint` of `log` at `size` into `dir`. */
export function writeLayout(
  log: MemoryLog,
  dir: string,
  note: string,
  size: bigint = log.size,
  bodies: ReadonlyMap<string, Uint8Array> = new Map(),
): void {
  const put = (key: string, bytes: Uint8Array | string) => {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), bytes);
  };
  const W = BigInt(TILE_WIDTH);
  for (let level = 0; level <= MAX_TILE_LEVEL; level++) {
    const nodes = size >> BigInt(level * TILE_HEIGHT);
    if (nodes === 0n) break;
    for (let i = 0n; i * W < nodes; i++) {
      const width = tileWidth(level, i, size);
      put(tilePath(level, i, width), readTile(level, i, size, log.read));
      if (level === 0) {
        const first = Number(i * W);
        put(entriesPath(i, width), encodeEntryBundle(log.leaves.slice(first, first + width)));
      }
    }
  }
  for (const [sha, data] of bodies) put(`bodies/${sha}`, data);
  put('checkpoint', note);
}

/** Serves `dir` read-only over HTTP on loopback (404 for anything missing); resolves its base URL. */
export async function serveDir(dir: string): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    requests.push(path);
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir)) {
      res.writeHead(400).end();
      return;
    }
    readFile(file).then(
      (data) => res.writeHead(200, { 'content-length': data.length }).end(data),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, server, requests };
}

export function hasMoto(): boolean {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const s = netServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Moto {
  endpoint: string;
  env: Record<string, string>;
  client: S3Client;
  /** Creates a bucket, with Object Lock enabled unless `lock` is false. */
  bucket(name: string, lock?: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `moto_server` on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('moto_server did not start');
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  return {
    endpoint,
    env,
    client,
    async bucket(name, lock = true) {
      await client.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: lock }));
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

// Proof benchmark (issue 3): a log of 1,000,000 entries (~1.5 KB leaves, written straight into the
// store), served by a ledger child process; a separate client process keeps 64 calls in flight,
// alternating slices of GetInclusionProof (random index, latest checkpoint) and GetCheckpoint (the
// "empty" RPC: a cached answer). Goal: proof throughput >= 0.85x empty throughput. Also reports
// the ledger's RSS and the database size against 1.15x leaf bytes + 32 bytes per node hash.
// Run: `npx tsc -p . && node dist/loadtest/ledger-proofs.js [entries]` (needs nats-server).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import { selectCrypto } from '../packages/runtime/index.js';
import { setupKeys } from '../test/ledger-fixtures.js';
import { freePort, startNatsServer } from '../test/support/nats-server.js';
import { buildStore } from './lib/build-store.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

/** Calls kept in flight by the client. */
const IN_FLIGHT = 64;
/** Seconds per measured slice; slices alternate and the best of each kind is kept. */
const SLICE_S = 4;
const SLICES = 2;
const LEAF_BYTES = 1500;

async function clientMain(addr: string, size: bigint): Promise<void> {
  const client = createClient(Ledger, addr);
  const run = async (kind: 'proof' | 'empty') => {
    const lat: number[] = [];
    const end = performance.now() + SLICE_S * 1000;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          if (kind === 'empty') await client.getCheckpoint({});
          else {
            const index = BigInt(Math.floor(Math.random() * Number(size)));
            await client.getInclusionProof({ leaf: { case: 'index', value: index }, treeSize: 0n });
          }
          lat.push(performance.now() - t);
        }
      }),
    );
    lat.sort((a, b) => a - b);
    return {
      perSecond: lat.length / SLICE_S,
      p50ms: lat[Math.floor(lat.length * 0.5)] ?? 0,
      p99ms: lat[Math.floor(lat.length * 0.99)] ?? 0,
    };
  };
  await run('empty'); // warm up the channel and the server's JIT
  const best = { proof: { perSecond: 0, p50ms: 0, p99ms: 0 }, empty: { perSecond: 0, p50ms: 0, p99ms: 0 } };
  for (let i = 0; i < SLICES; i++) {
    for (const kind of ['empty', 'proof'] as const) {
      const r = await run(kind);
      if (r.perSecond > best[kind].perSecond) best[kind] = r;
    }
  }
  client.close();
  process.stdout.write(`${JSON.stringify(best)}\n`);
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

async function benchMain(entries: number): Promise<void> {
  const keys = setupKeys('bench.local/proofs', ['c1']);
  const dataDir = join(keys.dir, 'data');
  const built = buildStore(dataDir, entries, LEAF_BYTES);
  const leafBytes = built.leafBytes;
  const buildSeconds = built.seconds;

  const nats = await startNatsServer();
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const main = new URL('../services/ledger/main.js', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [
      main,
      '--data-dir',
      dataDir,
      '--nats-url',
      nats.url,
      '--grpc-listen',
      addr,
      '--key',
      keys.keyFile,
      '--collector-keys',
      keys.collectorKeysFile,
      // The leaves are not changes (the search index would skip and log each one): proofs only.
      '--search',
      'off',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (d: Buffer) => {
      text = (text + d.toString()).slice(-4096);
      if (text.includes('ledger started')) resolve();
    });
    child.once('exit', () => reject(new Error(`ledger exited: ${text}`)));
  });
  const self = new URL(import.meta.url).pathname;
  const out = await new Promise<string>((resolve) => {
    const c = spawn(process.execPath, [self, '--client', addr, String(entries)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    c.stdout.on('data', (d: Buffer) => {
      text += d.toString();
    });
    c.once('exit', () => resolve(text));
  });
  const rss = child.pid === undefined ? 0 : rssMB(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await nats.stop({ removeStore: true });
  let disk = 0;
  for (const f of readdirSync(dataDir)) disk += statSync(join(dataDir, f)).size;
  const r = JSON.parse(out) as { proof: { perSecond: number }; empty: { perSecond: number } };
  console.log(
    JSON.stringify(
      {
        entries,
        buildSeconds: +buildSeconds.toFixed(1),
        ...r,
        proofOverEmpty: +(r.proof.perSecond / r.empty.perSecond).toFixed(2),
        ledgerRssMB: rss,
        diskBytes: disk,
        budgetBytes: Math.round(1.15 * leafBytes + 32 * (2 * entries - 1)),
      },
      null,
      1,
    ),
  );
  rmSync(keys.dir, { recursive: true, force: true });
}

if (process.argv[2] === '--client') await clientMain(process.argv[3] ?? '', BigInt(process.argv[4] ?? '1'));
else await benchMain(Number(process.argv[2] ?? 1_000_000));

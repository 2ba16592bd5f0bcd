// Empty unary RPC over the rpc bridge: GetCheckpoint with a canned answer, served by this process,
// called with 64 calls in flight from a forked child. For comparison the same child also drives a
// raw grpc-js handler (fixed bytes, no protobuf-es, no bridge) on the same server: the difference
// is what the bridge costs per call.
// Run: npx tsc -p . && node dist/loadtest/rpc-empty.js [seconds, default 4] [concurrency, default 64]
import { fileURLToPath } from 'node:url';
import { toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { CheckpointSchema, Ledger } from '../packages/proto/index.js';
import {
  addService,
  createClient,
  listen,
  RpcError,
  type ServiceImpl,
  serverCredentials,
} from '../packages/rpc/index.js';
import { selectCrypto } from '../packages/runtime/index.js';
import { forkLoad, markToParent, reportToParent } from './lib/fork.js';
import { formatResult, runLoad } from './lib/load.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

const DEFAULT_SECONDS = 4;
/** Measurement rounds; each runs the raw baseline, then the bridge. */
const ROUNDS = 2;
const DEFAULT_CONCURRENCY = 64;
const RAW_PATH = '/bench.Raw/Echo';
const BRIDGE = 'bridge GetCheckpoint';
const RAW = 'raw grpc-js';

const CHECKPOINT = {
  origin: 'bench.example/ledger',
  size: 1_000_000n,
  rootHash: new Uint8Array(32).fill(9),
  note: `bench.example/ledger\n1000000\n${'A'.repeat(44)}\n\n\u2014 bench.example/ledger ${'B'.repeat(88)}\n`,
};

function unimplemented(): never {
  throw new RpcError(grpc.status.UNIMPLEMENTED, 'not in this benchmark');
}

const impl: ServiceImpl<typeof Ledger> = {
  getCheckpoint: async () => CHECKPOINT,
  getInclusionProof: async () => unimplemented(),
  getConsistencyProof: async () => unimplemented(),
  getEntries: async () => unimplemented(),
  searchEntries: async () => unimplemented(),
  getObjectHistory: async () => unimplemented(),
  watchEntries: () => unimplemented(),
  watchCheckpoints: () => unimplemented(),
};

async function child(port: number, seconds: number, concurrency: number): Promise<void> {
  const address = `127.0.0.1:${port}`;
  const client = createClient(Ledger, address);
  const raw = new grpc.Client(address, grpc.credentials.createInsecure());
  const identity = (b: Buffer) => b;
  const empty = Buffer.alloc(0);
  const calls: Array<[string, () => Promise<unknown>]> = [
    [
      RAW,
      () =>
        new Promise((ok, fail) =>
          raw.makeUnaryRequest(RAW_PATH, identity, identity, empty, (e, v) => (e ? fail(e) : ok(v))),
        ),
    ],
    [BRIDGE, () => client.getCheckpoint({})],
  ];
  // Alternating rounds, so neither side pays alone for the server's JIT and connection warm-up.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [kind, call] of calls) {
      const name = `${kind} (round ${round})`;
      const result = await runLoad({
        call,
        concurrency,
        durationMs: seconds * 1000,
        onMeasureStart: () => markToParent(`start:${name}`),
      });
      markToParent(`end:${name}`);
      reportToParent(name, result);
    }
  }
  client.close();
  raw.close();
}

async function parent(seconds: number, concurrency: number): Promise<void> {
  const server = new grpc.Server();
  addService(server, Ledger, impl);
  const answer = Buffer.from(
    toBinary(CheckpointSchema, { $typeName: 'ingressledger.v1.Checkpoint', ...CHECKPOINT }),
  );
  const identity = (b: Buffer) => b;
  server.addService(
    {
      echo: {
        path: RAW_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    { echo: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, answer) },
  );
  const port = await listen(server, '127.0.0.1:0', serverCredentials());
  console.log(
    `rpc-empty: ${concurrency} calls in flight from a child process for ${seconds} s per measurement`,
  );
  // Server CPU per call does not depend on how busy the shared machine is, unlike calls/s.
  const cpuAtMark = new Map<string, NodeJS.CpuUsage>();
  const cpuUsed = new Map<string, number>();
  const results = await forkLoad(
    fileURLToPath(import.meta.url),
    ['--child', String(port), String(seconds), String(concurrency)],
    (mark) => {
      const [edge, name] = mark.split(':', 2) as [string, string];
      if (edge === 'start') cpuAtMark.set(name, process.cpuUsage());
      const since = cpuAtMark.get(name);
      if (edge === 'end' && since !== undefined) {
        const d = process.cpuUsage(since);
        cpuUsed.set(name, d.user + d.system);
      }
    },
  );
  for (const { name, result } of results) {
    const used = cpuUsed.get(name);
    const perCall = used === undefined ? '' : ` server CPU ${(used / result.calls).toFixed(0)} us/call`;
    console.log(formatResult(name, result) + perCall);
  }
  server.forceShutdown();
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  await child(Number(args[1]), Number(args[2]), Number(args[3]));
  process.exit(0);
} else {
  const seconds = Number(args[0] ?? DEFAULT_SECONDS);
  const concurrency = Number(args[1] ?? DEFAULT_CONCURRENCY);
  if (!(seconds > 0) || !Number.isInteger(concurrency) || concurrency < 1) {
    console.error('usage: rpc-empty [seconds > 0] [concurrency >= 1]');
    process.exit(2);
  }
  await parent(seconds, concurrency);
}

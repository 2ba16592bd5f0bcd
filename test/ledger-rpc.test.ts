// Issue 3: every Ledger RPC's bad requests get INVALID_ARGUMENT, OUT_OF_RANGE or NOT_FOUND (never
// UNKNOWN or INTERNAL), and the watch streams go from history into live entries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Ledger } from '../packages/proto/index.js';
import { createClient, RpcError } from '../packages/rpc/index.js';
import { changesSubject, silentLogger } from '../packages/runtime/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { ledgerSettings, makeChange, setupKeys, signChange, stopLedgerRig } from './ledger-fixtures.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const SIZE = 20n;

describe('ledger gRPC API', { skip: haveNatsServer() ? false : 'no nats-server' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let ledger: RunningLedger;
  let client: ReturnType<typeof createClient<typeof Ledger>>;
  const keys = setupKeys('ledger.test/rpc', ['c1']);
  let published = 0;

  async function publish(n: number): Promise<void> {
    const js = jetstream(nc);
    const key = keys.collectors.get('c1')!;
    for (let i = 0; i < n; i++, published++) {
      await js.publish(changesSubject('c1'), signChange(makeChange('c1', `r${published}`), key), {
        msgID: `c1/r${published}`,
      });
    }
  }

  async function waitForSize(size: bigint): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await client.getCheckpoint({})).size < size) {
      if (Date.now() > deadline) throw new Error(`checkpoint did not reach ${size}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    ledger = await startLedger(
      ledgerConfig(
        ledgerSettings(keys, nats.url, {
          'checkpoint-interval': '20ms',
          'batch-age': '5ms',
          'verify-workers': '1',
        }),
      ),
      { logger: silentLogger() },
    );
    client = createClient(Ledger, ledger.grpcAddress);
    await publish(Number(SIZE));
    await waitForSize(SIZE);
  });

  after(() => stopLedgerRig({ client, ledger, nc, nats, dir: keys.dir }));

  const big = 10n ** 18n;
  const cases: [string, () => Promise<unknown>, status][] = [
    [
      'inclusion: index = size',
      () => client.getInclusionProof({ leaf: { case: 'index', value: SIZE }, treeSize: SIZE }),
      status.OUT_OF_RANGE,
    ],
    [
      'inclusion: index beyond the log',
      () => client.getInclusionProof({ leaf: { case: 'index', value: big } }),
      status.OUT_OF_RANGE,
    ],
    [
      'inclusion: index >= tree_size',
      () => client.getInclusionProof({ leaf: { case: 'index', value: 5n }, treeSize: 5n }),
      status.OUT_OF_RANGE,
    ],
    [
      'inclusion: tree_size beyond the log',
      () => client.getInclusionProof({ leaf: { case: 'index', value: 0n }, treeSize: big }),
      status.OUT_OF_RANGE,
    ],
    ['inclusion: no leaf', () => client.getInclusionProof({ treeSize: 1n }), status.INVALID_ARGUMENT],
    [
      'inclusion: 31-byte leaf hash',
      () => client.getInclusionProof({ leaf: { case: 'leafHash', value: new Uint8Array(31) } }),
      status.INVALID_ARGUMENT,
    ],
    [
      'inclusion: 33-byte leaf hash',
      () => client.getInclusionProof({ leaf: { case: 'leafHash', value: new Uint8Array(33) } }),
      status.INVALID_ARGUMENT,
    ],
    [
      'inclusion: empty leaf hash',
      () => client.getInclusionProof({ leaf: { case: 'leafHash', value: new Uint8Array(0) } }),
      status.INVALID_ARGUMENT,
    ],
    [
      'inclusion: unknown leaf hash',
      () => client.getInclusionProof({ leaf: { case: 'leafHash', value: new Uint8Array(32) } }),
      status.NOT_FOUND,
    ],
    [
      'consistency: from 0',
      () => client.getConsistencyProof({ fromSize: 0n, toSize: 5n }),
      status.INVALID_ARGUMENT,
    ],
    [
      'consistency: from > to',
      () => client.getConsistencyProof({ fromSize: 6n, toSize: 5n }),
      status.INVALID_ARGUMENT,
    ],
    [
      'consistency: to beyond the log',
      () => client.getConsistencyProof({ fromSize: 1n, toSize: SIZE + 1n }),
      status.OUT_OF_RANGE,
    ],
    [
      'consistency: from beyond the log',
      () => client.getConsistencyProof({ fromSize: big, toSize: 0n }),
      status.OUT_OF_RANGE,
    ],
    [
      'consistency: max uint64',
      () => client.getConsistencyProof({ fromSize: 2n ** 64n - 1n, toSize: 2n ** 64n - 1n }),
      status.OUT_OF_RANGE,
    ],
    ['entries: end = start', () => client.getEntries({ start: 3n, end: 3n }), status.INVALID_ARGUMENT],
    ['entries: from > to', () => client.getEntries({ start: 4n, end: 3n }), status.INVALID_ARGUMENT],
    [
      'entries: start beyond the log',
      () => client.getEntries({ start: SIZE, end: SIZE + 5n }),
      status.OUT_OF_RANGE,
    ],
    [
      'search: page size 10^9',
      () => client.searchEntries({ pageSize: 1_000_000_000 }),
      status.INVALID_ARGUMENT,
    ],
    [
      'search: garbage page token',
      () => client.searchEntries({ pageToken: '!!not-a-token!!' }),
      status.INVALID_ARGUMENT,
    ],
    ['history: nothing named', () => client.getObjectHistory({}), status.INVALID_ARGUMENT],
  ];
  for (const [name, call, code] of cases) {
    it(`answers ${name} with ${status[code]}`, async () => {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof RpcError, String(err));
        assert.equal(status[err.code], status[code], err.message);
        return true;
      });
    });
  }

  it('serves GetEntries capped at the published size, with page size 0 for search meaning default', async () => {
    const { entries } = await client.getEntries({ start: 0n, end: big });
    assert.equal(BigInt(entries.length), SIZE);
    const page = await client.searchEntries({ pageSize: 0 });
    assert.ok(page.results.length <= 100);
  });

  it('streams WatchEntries from history into live appends', async () => {
    const ctl = new AbortController();
    const seen: bigint[] = [];
    const done = (async () => {
      for await (const e of client.watchEntries({ fromIndex: SIZE - 2n }, { signal: ctl.signal })) {
        seen.push(e.index);
        if (seen.length === 5) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await publish(3);
    await done;
    assert.deepEqual(seen, [SIZE - 2n, SIZE - 1n, SIZE, SIZE + 1n, SIZE + 2n]);
  });

  it('streams WatchCheckpoints starting with the latest', async () => {
    const sizes: bigint[] = [];
    const done = (async () => {
      for await (const c of client.watchCheckpoints({})) {
        sizes.push(c.size);
        if (sizes.length === 2) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await publish(1);
    await done;
    assert.ok(sizes[1]! > sizes[0]!, `${sizes}`);
  });
});

// The ledger knows when it drains a backlog, and says so: a stream filled before the ledger starts
// is drained in full batches, counted by ingress_ledger_ledger_backlog_commits_total (the search follower yields
// to ingest meanwhile); changes that trickle in one at a time are not a backlog. Either way the
// search index ends level with the log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { Ledger } from '../packages/proto/index.js';
import { createClient } from '../packages/rpc/index.js';
import { changesSubject, ensureStreams, silentLogger } from '../packages/runtime/index.js';
import { ledgerConfig, type RunningLedger, startLedger } from '../services/ledger/index.js';
import { ledgerSettings, makeChange, setupKeys, signChange, stopLedgerRig } from './ledger-fixtures.js';
import { haveNatsServer, type NatsServer, startNatsServer } from './support/nats-server.js';

const PREFILLED = 600;
const BATCH = 100;

describe('ledger backlog', { skip: haveNatsServer() ? false : 'no nats-server' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let ledger: RunningLedger;
  let client: ReturnType<typeof createClient<typeof Ledger>>;
  const registry = new Registry();
  const keys = setupKeys('ledger.test/backlog', ['c1']);
  let published = 0;

  const metric = async (name: string): Promise<number> =>
    (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? Number.NaN;

  async function publish(n: number): Promise<void> {
    const js = jetstream(nc);
    const c1 = keys.collectors.get('c1')!;
    const acks = [];
    for (let i = 0; i < n; i++, published++) {
      const id = `b${published}`;
      acks.push(
        js.publish(changesSubject('c1'), signChange(makeChange('c1', id), c1), { msgID: `c1/${id}` }),
      );
    }
    await Promise.all(acks);
  }

  async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await ok())) {
      assert.ok(Date.now() < deadline, `${what} within 20 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc));
    await publish(PREFILLED);
    ledger = await startLedger(
      ledgerConfig(
        ledgerSettings(keys, nats.url, {
          'batch-size': String(BATCH),
          'batch-age': '20ms',
          'checkpoint-interval': '50ms',
          'verify-workers': '1',
        }),
      ),
      { logger: silentLogger(), registry },
    );
    client = createClient(Ledger, ledger.grpcAddress);
  });

  after(() => stopLedgerRig({ client, ledger, nc, nats, dir: keys.dir }));

  it('drains a prefilled stream as a backlog, and the search index catches up', async () => {
    await until('all prefilled changes checkpointed', async () => {
      return (await client.getCheckpoint({})).size === BigInt(PREFILLED);
    });
    assert.ok(
      (await metric('ingress_ledger_ledger_backlog_commits_total')) > 0,
      'no commit counted as a backlog',
    );
    await until('the search index level with the log', async () => {
      return (await metric('ingress_ledger_ledger_search_index_lag_entries')) === 0;
    });
  });

  it('does not count changes that trickle in one at a time', async () => {
    const before = await metric('ingress_ledger_ledger_backlog_commits_total');
    for (let i = 1; i <= 3; i++) {
      await publish(1);
      await until(`change ${i} checkpointed`, async () => {
        return (await client.getCheckpoint({})).size === BigInt(PREFILLED + i);
      });
    }
    assert.equal(await metric('ingress_ledger_ledger_backlog_commits_total'), before);
    await until('the search index level with the log', async () => {
      return (await metric('ingress_ledger_ledger_search_index_lag_entries')) === 0;
    });
  });
});

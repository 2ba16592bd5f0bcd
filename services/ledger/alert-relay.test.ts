// The alert relay when the ledger's database refuses its position write (a full disk answers
// SQLITE_FULL there): the relay logs, keeps its position, and saves it once the write goes
// through. Only the save is retried, so no alert is sent twice. A real nats-server and SQLite
// file; the refusal is a temporary trigger on the relay's own connection.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { changeOf } from '../../packages/risk/testing/index.js';
import { ALERTS_STREAM, ensureAlertStreams } from '../../packages/runtime/index.js';
import { haveNatsServer, type NatsServer, startNatsServer } from '../../test/support/nats-server.js';
import { until } from '../../test/support/system.js';
import { AlertRelay } from './alert-relay.js';
import type { PublishedCheckpoint } from './checkpointer.js';
import { alertRelayMetrics } from './metrics.js';
import { openTestLedger, type TestLedger } from './testing/index.js';
import { keepingLogger } from './testing/witness-trio.js';
import { openGate } from './write-gate.js';

/** A create of Ingress `web-<n>` carrying a configuration snippet: one nginx-snippet finding. */
const snippet = (n: number) =>
  changeOf({
    object: {
      kind: 'Ingress',
      metadata: {
        name: `web-${n}`,
        annotations: { 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X: 1";' },
      },
    },
    verb: 'create',
    responseCode: 201,
    user: { username: 'alice' },
    stageTimestamp: `2026-12-05T10:00:0${n}.000000Z`,
  });

describe('the alert relay', { skip: haveNatsServer() ? false : 'nats-server is not installed' }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let ledger: TestLedger;

  before(async () => {
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url });
    await ensureAlertStreams(await jetstreamManager(nc));
    ledger = openTestLedger();
  });

  after(async () => {
    await nc?.close();
    await nats?.stop({ removeStore: true });
    ledger?.close();
  });

  it('keeps its position while the database refuses to save it, and saves it when it no longer does', async () => {
    const appended = ledger.append([snippet(1), snippet(2), snippet(3)]);
    assert.equal(appended.flatMap((a) => a.findings).filter((f) => f.rule === 'nginx-snippet').length, 3);
    let cp: PublishedCheckpoint | undefined;
    const registry = new Registry();
    const errors: string[] = [];
    const relay = new AlertRelay({
      db: ledger.db,
      gate: openGate,
      js: jetstream(nc),
      logger: keepingLogger((l) => {
        if (l.level >= 50) errors.push(String(l.msg));
      }),
      metrics: alertRelayMetrics(registry, () => 0),
      indexed: () => ledger.index.indexedSize(),
      checkpoint: () => cp,
      retryMs: 20,
    });
    const saved = () =>
      (
        ledger.db.prepare("SELECT position FROM alert_progress WHERE key = 'published'").get() as {
          position: bigint;
        }
      ).position;
    const stored = async () =>
      (await (await jetstreamManager(nc)).streams.info(ALERTS_STREAM)).state.messages;
    try {
      // Nothing was published when it first started: it begins at the start of the log.
      assert.equal(relay.position, 0n);
      ledger.db.exec(`CREATE TEMP TRIGGER refuse_position BEFORE UPDATE ON alert_progress
                      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
      cp = {
        note: 'checkpoint\n',
        origin: 'relay.test/log',
        size: ledger.size(),
        rootHash: new Uint8Array(32),
      };
      relay.wake();
      await until(10_000, 'the alerts stored and the refused save logged', async () =>
        (await stored()) === 3 && errors.length >= 2 ? true : undefined,
      );
      assert.ok(
        errors.every((m) => m === 'alert relay: position not saved; retrying'),
        errors.join('; '),
      );
      assert.equal(relay.position, 0n);
      assert.equal(saved(), 0n);

      ledger.db.exec('DROP TRIGGER refuse_position');
      relay.wake();
      await relay.caughtUp();
      assert.equal(relay.position, 3n);
      assert.equal(saved(), 3n);
      // Only the save was retried: each alert was sent once.
      assert.equal(await stored(), 3);
      const sent = await registry.getSingleMetric('ingress_ledger_ledger_alerts_published_total')?.get();
      assert.equal(
        sent?.values.reduce((n, v) => n + v.value, 0),
        3,
      );
    } finally {
      await relay.stop();
    }
  });
});

// `ingress-ledger up` end to end: real nats-server, witness, ledger and collector as one child
// process; one audit event in through the webhook, out as a cosigned, auditable entry; then a
// restart on the same data dir resumes the same log with the same keys.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parsePolicy } from '../packages/tlog/index.js';
import { readPolicy } from '../services/cli/inputs.js';
import { connectLedger } from '../services/cli/ledger-client.js';
import { jsonLines, runCli } from '../services/cli/testing/run-cli.js';
import { natsServerConfigPath } from '../services/cli/up/nats-auth.js';
import { natsPidFile } from '../services/cli/up/nats-child.js';
import { checkCheckpoint } from '../services/cli/verification/checkpoint-check.js';
import { eventually, ingressCreateEvent, postEvents, startUp, type UpProcess } from './cli-support.js';
import { haveNatsServer } from './support/nats-server.js';

describe('ingress-ledger up', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 180_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-up-'));
  let up: UpProcess | undefined;
  after(async () => {
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a webhook event as a cosigned entry, and resumes the same log after a restart', async () => {
    up = await startUp(dir);
    const first = up.endpoints;
    assert.match(first.grpc, /^127\.0\.0\.1:\d+$/);
    assert.match(first.webhook, /^https?:\/\/127\.0\.0\.1:\d+/);
    assert.equal(first.witnessVkeys.length, 1);
    assert.equal(statSync(join(dir, 'keys', 'log.key')).mode & 0o777, 0o600);

    const status = await postEvents(first.webhook, first.webhookToken, [
      ingressCreateEvent('up-test-1', 'shop'),
    ]);
    assert.equal(status, 200);
    assert.equal(await postEvents(first.webhook, 'wrong-token', [ingressCreateEvent('up-test-2', 'x')]), 401);

    const policy = readPolicy(first.policy).policy;
    const api = connectLedger(first.grpc);
    try {
      const note = await eventually(
        async () => {
          const cp = await api.getCheckpoint();
          return cp.size >= 1n ? cp.note : undefined;
        },
        60_000,
        'a cosigned checkpoint with the entry',
      );
      const verified = checkCheckpoint(note, policy);
      assert.deepEqual(verified.cosigners.length, 1, 'the local witness cosigned');
      const [entry] = await api.getEntries(0n, 1n);
      assert.match(new TextDecoder().decode(entry?.leaf), /"auditID":"up-test-1"/);
      // --metrics-port: the ledger's metrics, with the time per stage on the way to that checkpoint.
      assert.ok(first.metrics !== undefined, 'endpoints.json names the metrics URL');
      const metrics = await (await fetch(first.metrics)).text();
      assert.match(metrics, /ingress_ledger_ledger_stage_seconds_count\{[^}]*stage="witness"[^}]*\} [1-9]/);
    } finally {
      api.close();
    }

    const audit = await runCli([
      'audit',
      '--grpc',
      first.grpc,
      '--policy',
      first.policy,
      '--json',
      ...first.collectorVkeys.flatMap((v) => ['--collector-vkey', v]),
    ]);
    assert.equal(audit.status, 0, audit.stderr);
    assert.equal(jsonLines(audit.stdout).at(-1)?.ok, true);
    // The same log from its static tiles (DESIGN 10), at the URL endpoints.json names.
    assert.match(first.tiles, /^http:\/\/127\.0\.0\.1:\d+\/tiles$/);
    const fromTiles = await runCli([
      'audit',
      '--tiles',
      first.tiles,
      '--policy',
      first.policy,
      '--json',
      ...first.collectorVkeys.flatMap((v) => ['--collector-vkey', v]),
    ]);
    assert.equal(fromTiles.status, 0, fromTiles.stderr);
    assert.equal(jsonLines(fromTiles.stdout).at(-1)?.ok, true);

    assert.equal(await up.stop(), 0, up.output());
    up = await startUp(dir);
    const second = up.endpoints;
    assert.equal(second.logVkey, first.logVkey);
    assert.deepEqual(second.witnessVkeys, first.witnessVkeys);
    assert.deepEqual(second.collectorVkeys, first.collectorVkeys);
    assert.equal(second.webhookToken, first.webhookToken);
    assert.ok(parsePolicy(readPolicy(second.policy).text));
    const api2 = connectLedger(second.grpc);
    try {
      const cp = await eventually(
        async () => {
          const c = await api2.getCheckpoint();
          return c.size >= 1n ? c : undefined;
        },
        30_000,
        'the resumed log',
      );
      assert.equal(cp.size, 1n);
    } finally {
      api2.close();
    }
    // A hang-up (closed terminal) stops everything as cleanly as SIGTERM does.
    assert.equal(await up.stop('SIGHUP'), 0, up.output());
    assert.equal(existsSync(join(dir, 'endpoints.json')), false);
  });

  it('stops the nats-server an up killed with SIGKILL left running, before it starts its own', async () => {
    up = await startUp(dir);
    const pidFile = natsPidFile(natsServerConfigPath(dir));
    const orphan = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
    await up.stop('SIGKILL');
    // The child outlives its killed parent: two servers on one JetStream store would corrupt it.
    assert.equal(isAlive(orphan), true, 'the orphaned nats-server still runs');
    // The killed up could not remove its endpoints.json; startUp waits for a new one.
    rmSync(join(dir, 'endpoints.json'), { force: true });
    up = await startUp(dir);
    assert.equal(isAlive(orphan), false, 'the orphan was stopped');
    assert.notEqual(Number.parseInt(readFileSync(pidFile, 'utf8'), 10), orphan);
    const api = connectLedger(up.endpoints.grpc);
    try {
      const cp = await eventually(
        async () => {
          const c = await api.getCheckpoint();
          return c.size >= 1n ? c : undefined;
        },
        30_000,
        'the log after the orphan was stopped',
      );
      assert.equal(cp.size, 1n);
    } finally {
      api.close();
    }
    assert.equal(await up.stop(), 0, up.output());
  });
});

/** Whether pid runs: a zombie (exited, not yet reaped by its new parent) counts as stopped. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

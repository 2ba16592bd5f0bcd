// `up --alerts-webhook URL --alerts-webhook-secret FILE` (DESIGN 13): a change that fires a risk rule,
// sent through up's webhook, reaches the alerts webhook as one signed JSON object, through up's own
// NATS users (notify has its own). Also: the secret without the webhook is bad usage (exit 2).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeAlert } from '../packages/runtime/index.js';
import { runCli } from '../services/cli/testing/run-cli.js';
import { Receiver } from '../services/notify/testing.js';
import { ingressCreateEvent, postEvents, startUp, type UpProcess } from './cli-support.js';
import { haveNatsServer } from './support/nats-server.js';

const SNIPPET = 'nginx.ingress.kubernetes.io/configuration-snippet';

describe('up with an alerts webhook', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-up-alerts-'));
  const secret = join(dir, 'hook.secret');
  let receiver: Receiver;
  let up: UpProcess | undefined;

  before(async () => {
    writeFileSync(secret, 'up-secret\n', { mode: 0o600 });
    receiver = await new Receiver().start();
    up = await startUp(join(dir, 'data'), 60_000, [
      '--alerts-webhook',
      `${receiver.url}/in`,
      '--alerts-webhook-secret',
      secret,
    ]);
  });
  after(async () => {
    await up?.stop();
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('POSTs a signed alert for a change with a configuration snippet', async () => {
    const e = ingressCreateEvent('up-alert-1', 'snippet-app') as {
      requestObject: { metadata: { annotations: Record<string, string> } };
      responseObject: { metadata: { annotations: Record<string, string> } };
    };
    e.requestObject.metadata.annotations = {
      ...e.requestObject.metadata.annotations,
      [SNIPPET]: 'return 200;',
    };
    e.responseObject.metadata.annotations = {
      ...e.responseObject.metadata.annotations,
      [SNIPPET]: 'return 200;',
    };
    const endpoints = up?.endpoints;
    assert.ok(endpoints);
    assert.equal(await postEvents(endpoints.webhook, endpoints.webhookToken, [e]), 200);
    await receiver.waitFor(1, 60_000);
    const got = receiver.received.map((r) => ({ r, a: decodeAlert(r.body) }));
    const hit = got.find((x) => x.a?.rule === 'nginx-snippet');
    assert.ok(hit?.a, got.map((x) => x.r.body).join('\n'));
    assert.equal(hit.r.path, '/in');
    assert.equal(
      hit.r.headers['x-ingress-ledger-signature'],
      `sha256=${createHmac('sha256', 'up-secret').update(hit.r.body).digest('hex')}`,
    );
    assert.equal(hit.a.cluster, 'local');
    assert.equal(hit.a.user, 'alice@example.com');
    assert.equal(hit.a.object.name, 'snippet-app');
    assert.equal(hit.a.reason, 'ticket OPS-1');
    assert.equal(hit.a.checkpoint.origin, endpoints.origin);
  });

  it('refuses --alerts-webhook-secret without --alerts-webhook (exit 2)', async () => {
    const r = await runCli(['up', '--data-dir', join(dir, 'other'), '--alerts-webhook-secret', secret]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--alerts-webhook-secret: needs --alerts-webhook/);
  });
});

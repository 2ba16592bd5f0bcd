// The read path against a real ledger whose SQLite file was edited (issue 14): search and history
// show the edited entry as failed and every other as verified, and exit 1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCheckpoint, parseNote } from '../packages/tlog/index.js';
import { connectLedger } from '../services/cli/ledger-client.js';
import { cli, jsonLines } from '../services/cli/testing/run-cli.js';
import { type Stack, startStack, tamper } from './attack-support.js';
import { eventually, ingressCreateEvent, postEvents } from './cli-support.js';
import { haveNatsServer } from './support/nats-server.js';

async function publishedSize(grpc: string): Promise<bigint> {
  const api = connectLedger(grpc, {}, 5000);
  try {
    return parseCheckpoint(parseNote((await api.getCheckpoint()).note).text).size;
  } finally {
    api.close();
  }
}

interface Line {
  index: number;
  verification?: { status: string; reason?: string };
}

describe('search and history on a ledger with an edited leaf', {
  skip: haveNatsServer() ? false : 'nats-server is not installed',
  timeout: 600_000,
}, () => {
  let s: Stack;
  const read = (args: string[]) =>
    cli([
      ...args,
      '--grpc',
      s.grpc,
      '--policy',
      s.policyFile,
      '--collector-vkey',
      s.collector.vkey,
      '--json',
    ]);

  before(async () => {
    s = await startStack();
    const events = Array.from({ length: 20 }, (_, i) => ingressCreateEvent(`read-${i}`, `app-${i}`));
    assert.equal(await postEvents(s.webhook, s.token, events), 200);
    await eventually(
      async () => ((await publishedSize(s.grpc)) >= 20n ? true : undefined),
      60_000,
      'size 20',
    );
  });
  after(async () => {
    await s?.close();
  });

  it('verifies every entry of the untouched log', async () => {
    const r = await read(['search', '--limit', '100']);
    assert.equal(r.status, 0, r.stderr);
    const lines = jsonLines(r.stdout) as unknown as Line[];
    assert.equal(lines.length, 20);
    assert.ok(lines.every((l) => l.verification?.status === 'verified'));
  });

  it('shows the edited entry as failed, the others verified, and exits 1', async () => {
    tamper(s.dbFile, (db) => {
      const row = db.prepare('SELECT leaf FROM entries WHERE idx = 13').get() as { leaf: Buffer };
      const leaf = Buffer.from(row.leaf.toString('utf8').replace('ticket OPS-1', 'ticket OPS-2'));
      db.prepare('UPDATE entries SET leaf = ? WHERE idx = 13').run(leaf);
    });
    const r = await read(['search', '--limit', '100']);
    assert.equal(r.status, 1, r.stderr);
    const lines = (jsonLines(r.stdout) as unknown as Line[]).filter((l) => l.index !== undefined);
    assert.equal(lines.length, 20);
    const failed = lines.filter((l) => l.verification?.status !== 'verified');
    assert.deepEqual(
      failed.map((l) => [l.index, l.verification?.status]),
      [[13, 'failed']],
    );
    assert.match(failed[0]?.verification?.reason ?? '', /COLLECTOR_SIGNATURE|INCLUSION/);

    const name = (
      JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{"index":13,')) ?? '{}') as {
        change: { object: { name: string } };
      }
    ).change.object.name;
    const h = await read(['history', `default/${name}`]);
    assert.equal(h.status, 1, h.stderr);
    assert.deepEqual(
      (jsonLines(h.stdout) as unknown as Line[])
        .filter((l) => l.index !== undefined)
        .map((l) => [l.index, l.verification?.status]),
      [[13, 'failed']],
    );
    const other = await read(['history', 'default/app-3']);
    assert.equal(other.status, 0, other.stderr);
    assert.deepEqual(
      (jsonLines(other.stdout) as unknown as Line[]).map((l) => l.verification?.status),
      ['verified'],
    );
  });
});

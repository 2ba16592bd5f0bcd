// Export benchmark (issue 13): (1) `exportStep` throughput from a tiles layout served over HTTP into
// S3 with Object Lock, as served by moto_server; (2) the continuous export's lag behind the
// published checkpoint while a real ledger ingests changes at a steady rate.
//
//   npx tsc -p . && node dist/loadtest/export.js [entries=100000] [rate=500] [seconds=30]
//
// Needs moto_server and nats-server. Prints its figures; nothing is recorded.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { checkpointCheck, exportStep, S3Layout, tilesSource } from '../packages/export/index.js';
import { hasMoto, serveDir, startMoto, writeLayout } from '../packages/export/testing.js';
import { changesSubject, selectCrypto, silentLogger } from '../packages/runtime/index.js';
import { generateKey, parseVkey } from '../packages/tlog/index.js';
import { MemoryLog } from '../packages/tlog/testing.js';
import { ledgerConfig, startLedger } from '../services/ledger/index.js';
import { ledgerSettings, makeChange, setupKeys, signChange } from '../test/ledger-fixtures.js';
import { haveNatsServer, startNatsServer } from '../test/support/nats-server.js';

selectCrypto();
const entries = Number(process.argv[2] ?? 100_000);
const rate = Number(process.argv[3] ?? 500);
const seconds = Number(process.argv[4] ?? 30);
if (!hasMoto() || !haveNatsServer()) {
  process.stderr.write('needs moto_server and nats-server\n');
  process.exit(2);
}

const moto = await startMoto();
Object.assign(process.env, moto.env);
try {
  // (1) Throughput.
  const log = new MemoryLog({ logKey: generateKey('bench.local/export') });
  const leaf = (i: number) => new TextEncoder().encode(`entry ${i} `.padEnd(1500, '.'));
  for (let i = 0; i < entries; i++) log.append(leaf(i));
  const dir = mkdtempSync(join(tmpdir(), 'bench-export-'));
  writeLayout(log, dir, log.checkpoint());
  const served = await serveDir(dir);
  await moto.bucket('bench-throughput');
  let objects = 0;
  const started = performance.now();
  await exportStep({
    source: tilesSource(served.url),
    target: new S3Layout({
      bucket: 'bench-throughput',
      prefix: 'log',
      client: moto.client,
      objectLock: { mode: 'COMPLIANCE', retainUntil: (now) => new Date(now.getTime() + 86_400_000) },
    }),
    check: checkpointCheck({ vkey: parseVkey(log.logKey.vkey) }),
    events: { object: () => objects++ },
  });
  const secs = (performance.now() - started) / 1000;
  served.server.close();
  console.log(
    JSON.stringify({
      bench: 'export-throughput',
      entries,
      objects,
      seconds: Number(secs.toFixed(2)),
      entriesPerSecond: Math.round(entries / secs),
      leafMBPerSecond: Number(((entries * 1500) / 1e6 / secs).toFixed(1)),
    }),
  );

  // (2) Lag under load.
  const nats = await startNatsServer();
  const keys = setupKeys('bench.local/export-lag', ['c1']);
  await moto.bucket('bench-lag');
  const registry = new Registry();
  const ledger = await startLedger(
    ledgerConfig(
      ledgerSettings(keys, nats.url, {
        'export-to': 's3://bench-lag/prod',
        'export-object-lock': 'compliance',
        'export-retain': '1d',
        'export-interval': '500ms',
      }),
    ),
    { logger: silentLogger(), registry },
  );
  const nc = await connect({ servers: nats.url });
  const js = jetstream(nc);
  const lagSamples: number[] = [];
  const sample = setInterval(async () => {
    const m = await registry.getSingleMetric('ingress_ledger_export_lag_seconds')?.get();
    lagSamples.push(m?.values[0]?.value ?? 0);
  }, 200);
  const key = keys.collectors.get('c1')!;
  let sent = 0;
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const tick = Date.now();
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < rate / 10; i++, sent++)
      batch.push(
        js.publish(changesSubject('c1'), signChange(makeChange('c1', `l${sent}`, 1500), key), {
          msgID: `c1/l${sent}`,
        }),
      );
    await Promise.all(batch);
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
  }
  const stopAt = Date.now();
  const sizeMetric = () => registry.getSingleMetric('ingress_ledger_export_tree_size')?.get();
  while (((await sizeMetric())?.values[0]?.value ?? 0) < sent && Date.now() - stopAt < 120_000)
    await new Promise((r) => setTimeout(r, 100));
  const catchUp = (Date.now() - stopAt) / 1000;
  clearInterval(sample);
  const sorted = [...lagSamples].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: 'export-lag',
      rate,
      seconds,
      sent,
      maxLagSeconds: sorted.at(-1) ?? 0,
      p95LagSeconds: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
      catchUpSeconds: Number(catchUp.toFixed(2)),
    }),
  );
  await nc.close();
  await ledger.close();
  await nats.stop({ removeStore: true });
} finally {
  await moto.stop();
}

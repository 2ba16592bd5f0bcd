// Search, history and indexing cost at scale (issue 7; docs/performance.md "## Search").
// Builds a ledger-shaped SQLite file with N entries over 50 clusters, 2,000 namespaces and 20,000
// objects, indexing as the ledger does (one transaction per batch, rules on), then times typical
// queries. Run after building:
//   node dist/loadtest/search-bench.js [--entries 1000000] [--queries 300] [--slice 50000] [--dir DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import Database from 'better-sqlite3';
import { CHANGE_SCHEMA, type Change, canonicalJson } from '../packages/change/index.js';
import { GetObjectHistoryRequestSchema, SearchEntriesRequestSchema } from '../packages/proto/index.js';
import { selectCrypto, silentLogger } from '../packages/runtime/index.js';
import { SearchIndex } from '../services/ledger/search/index.js';
import { prng } from '../services/ledger/testing/corpus.js';

// The provider a service chooses at its start (libsodium where it loads), so figures match a deployment.
selectCrypto();

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '300' },
    batch: { type: 'string', default: '500' },
    dir: { type: 'string' },
    slice: { type: 'string', default: '50000' },
  },
});
const N = Number(values.entries);
const Q = Number(values.queries);
const BATCH = Number(values.batch);
const CLUSTERS = 50;
const NAMESPACES = 2000;
const OBJECTS = 20_000;
const USERS = 1000;
const START_MS = Date.UTC(2026, 9, 1);
/** Entries spread evenly over 60 days of audit time. */
const SPAN_MS = 60 * 86_400_000;

const r = prng(2026);
const objNs = (o: number) => o % NAMESPACES;
const nsCluster = (ns: number) => ns % CLUSTERS;

function ingress(o: number, version: number) {
  const ns = objNs(o);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: `app-${o}`,
      namespace: `ns-${ns}`,
      uid: `uid-${o}`,
      resourceVersion: String(version),
      annotations: {
        'nginx.ingress.kubernetes.io/proxy-body-size': `${1 + (version % 8)}m`,
        ...(version % 50 === 0
          ? { 'nginx.ingress.kubernetes.io/configuration-snippet': `more_set_headers "V: ${version}";` }
          : {}),
      },
    },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: [`app-${o}.ns-${ns}.example.com`], secretName: `app-${o}-tls` }],
      rules: [
        {
          host: `app-${o}.ns-${ns}.example.com`,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: `svc-${o % 7}`, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

function change(i: number, versions: Int32Array): Change {
  const o = Math.floor(r() * OBJECTS);
  const v = versions[o] ?? 0;
  versions[o] = v + 1;
  const denied = r() < 0.01;
  const verb = v === 0 ? 'create' : r() < 0.6 ? 'patch' : 'update';
  const stamp = new Date(START_MS + Math.floor((i / N) * SPAN_MS)).toISOString().replace('Z', '000Z');
  const obj = ingress(o, v);
  return {
    schema: CHANGE_SCHEMA,
    cluster: `cluster-${nsCluster(objNs(o))}`,
    auditID: `a-${i}`,
    verb,
    action: verb === 'create' ? 'create' : 'update',
    object: {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'ingresses',
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      resourceVersion: String(v),
    },
    user: { username: `user-${Math.floor(r() * USERS)}@example.com`, groups: ['system:authenticated'] },
    sourceIPs: ['10.1.2.3'],
    userAgent: 'kubectl/v1.31.0',
    requestReceivedTimestamp: stamp,
    stageTimestamp: stamp,
    responseCode: denied ? 403 : verb === 'create' ? 201 : 200,
    reason: r() < 0.3 ? `deploy ${v} of app-${o}` : null,
    request: verb === 'patch' ? { metadata: { annotations: obj.metadata.annotations } } : obj,
    response: denied ? { kind: 'Status', code: 403 } : obj,
    source: 'audit-webhook',
    observedAt: stamp,
  };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

function openDb(dir: string, name: string) {
  const db = new Database(join(dir, name));
  db.defaultSafeIntegers(true);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (process.env.CACHE_MB) db.pragma(`cache_size = -${Number(process.env.CACHE_MB) * 1024}`);
  db.exec(`CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
           CREATE TABLE IF NOT EXISTS bodies (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL);`);
  return db;
}

const enc = new TextEncoder();
const leafOf = (c: Change) => enc.encode(`${canonicalJson(c)}\n\n— collector/${c.cluster} AAAA\n`);

/** Inserts `n` entries, with or without the index; returns entries per second of the insert loop. */
function ingest(
  db: Database.Database,
  n: number,
  withIndex: boolean,
  onBatch?: (done: number) => void,
): number {
  const index = withIndex ? new SearchIndex(db, { logger: silentLogger() }) : undefined;
  const insert = db.prepare('INSERT INTO entries (idx, leaf) VALUES (?, ?)');
  const versions = new Int32Array(OBJECTS);
  const empty = new Map<string, Uint8Array>();
  let spent = 0;
  for (let start = 0; start < n; start += BATCH) {
    const changes: Change[] = [];
    for (let i = start; i < Math.min(n, start + BATCH); i++) changes.push(change(i, versions));
    const t = performance.now();
    db.transaction(() => {
      const inputs = changes.map((c, k) => {
        const idx = BigInt(start + k);
        insert.run(idx, leafOf(c));
        return { index: idx, change: c, bodies: empty };
      });
      index?.add(inputs);
    })();
    spent += performance.now() - t;
    onBatch?.(start + changes.length);
  }
  return n / (spent / 1000);
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function main(): void {
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'search-bench-'));
  try {
    // Ingest ratio on a slice: the same entries with and without the index.
    const slice = Math.min(N, Number(values.slice));
    const plain = ingest(openDb(dir, 'plain.sqlite'), slice, false);
    const indexed = ingest(openDb(dir, 'indexed-slice.sqlite'), slice, true);
    console.log(
      `ingest (insert loop only, ${slice} entries): without index ${plain.toFixed(0)}/s, with index+rules ${indexed.toFixed(0)}/s`,
    );
    console.log(`index+rules cost per entry: ${(1e6 / indexed - 1e6 / plain).toFixed(1)} µs`);

    const db = openDb(dir, 'ledger.sqlite');
    const t0 = performance.now();
    const rate = ingest(db, N, true, (done) => {
      if (done % 50_000 === 0) process.stderr.write(`built ${done}/${N} at ${new Date().toISOString()}\n`);
    });
    process.stderr.write('\n');
    console.log(
      `built ${N} entries in ${((performance.now() - t0) / 1000).toFixed(0)} s (${rate.toFixed(0)}/s indexed)`,
    );
    db.pragma('optimize');
    const index = new SearchIndex(db, { logger: silentLogger() });
    const size = BigInt(N);
    const day = 86_400_000;
    const q = new prngQueries();
    const cases: [string, () => void][] = [
      [
        'namespace over a day',
        () => {
          const at = q.time();
          index.search(
            create(SearchEntriesRequestSchema, {
              namespace: `ns-${q.int(NAMESPACES)}`,
              since: timestampFromMs(at),
              until: timestampFromMs(at + day),
            }),
            size,
          );
        },
      ],
      [
        'namespace, newest page',
        () =>
          index.search(create(SearchEntriesRequestSchema, { namespace: `ns-${q.int(NAMESPACES)}` }), size),
      ],
      [
        'user over a week',
        () => {
          const at = q.time();
          index.search(
            create(SearchEntriesRequestSchema, {
              user: `user-${q.int(USERS)}@example.com`,
              since: timestampFromMs(at),
              until: timestampFromMs(at + 7 * day),
            }),
            size,
          );
        },
      ],
      [
        'full text for a host',
        () => {
          const o = q.int(OBJECTS);
          index.search(
            create(SearchEntriesRequestSchema, { text: `app-${o}.ns-${objNs(o)}.example.com` }),
            size,
          );
        },
      ],
      [
        'host filter',
        () => {
          const o = q.int(OBJECTS);
          index.search(
            create(SearchEntriesRequestSchema, { host: `app-${o}.ns-${objNs(o)}.example.com` }),
            size,
          );
        },
      ],
      [
        'risk rule, newest page',
        () => index.search(create(SearchEntriesRequestSchema, { risk: 'denied-attempt' }), size),
      ],
      [
        'history of one object',
        () => {
          const o = q.int(OBJECTS);
          index.history(
            create(GetObjectHistoryRequestSchema, {
              cluster: `cluster-${nsCluster(objNs(o))}`,
              namespace: `ns-${objNs(o)}`,
              name: `app-${o}`,
            }),
            size,
          );
        },
      ],
    ];
    for (const [name, fn] of cases) {
      for (let i = 0; i < 20; i++) fn();
      const ms = Array.from({ length: Q }, () => time(fn));
      console.log(
        `${name.padEnd(24)} p50 ${percentile(ms, 50).toFixed(2)} ms  p99 ${percentile(ms, 99).toFixed(2)} ms`,
      );
    }
    db.close();
  } finally {
    if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

class prngQueries {
  readonly #r = prng(7);
  int(n: number): number {
    return Math.floor(this.#r() * n);
  }
  time(): number {
    return START_MS + Math.floor(this.#r() * (SPAN_MS - 7 * 86_400_000));
  }
}

main();

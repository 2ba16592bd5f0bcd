// The console's HTTP side on a real store and search index, without NATS: what it answers before
// the first checkpoint, that what it serves verifies with the browser's own checks, the live
// stream, and security headers on every kind of answer (test/console.test.ts does the same
// against a whole `up`, in a browser).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeLeaf } from '../../../packages/change/index.js';
import { silentLogger } from '../../../packages/runtime/index.js';
import {
  encodeBase64,
  formatCheckpoint,
  generateKey,
  leafHash,
  parseVkey,
} from '../../../packages/tlog/index.js';
import { cosignedCheckpoint } from '../../../packages/tlog/testing.js';
import { makeChange } from '../../../test/ledger-fixtures.js';
import type { PublishedCheckpoint } from '../checkpointer.js';
import { SearchIndex } from '../search/index.js';
import { LogStore } from '../store.js';
import { consoleRoute, servedPolicy } from './console-route.js';
import type { EntriesJson, TrustJson } from './entry-json.js';
import { CONTENT_SECURITY_POLICY } from './security-headers.js';
import { trustOf, verifyCheckpoint, verifyEntry } from './verify-entry.js';

const logKey = generateKey('ledger.test/console');
const collector = generateKey('collector/eu1');

describe('console over HTTP', () => {
  let dir: string;
  let store: LogStore;
  let server: Server;
  let base: string;
  let published: PublishedCheckpoint | undefined;
  const listeners = new Set<() => void>();
  const closing = new AbortController();

  const publish = () => {
    const size = store.size;
    const rootHash = store.root();
    const text = formatCheckpoint({ origin: logKey.name, size, rootHash, extensions: [] });
    published = { note: cosignedCheckpoint(text, logKey, [], 0n), origin: logKey.name, size, rootHash };
    for (const l of listeners) l();
  };
  const append = (search: SearchIndex, ids: string[]) => {
    const changes = ids.map((id) => makeChange('eu1', id));
    const start = store.size;
    store.append(
      changes.map((c) => {
        const { leaf } = makeLeaf(c, collector);
        return { leaf, leafHash: leafHash(leaf), identity: `eu1/${c.auditID}`, bodies: new Map() };
      }),
    );
    search.add(changes.map((change, i) => ({ index: start + BigInt(i), change, bodies: new Map() })));
  };

  let search: SearchIndex;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-http-'));
    store = new LogStore(dir);
    search = new SearchIndex(store.db, { logger: silentLogger() });
    append(search, ['aaaaaa-1', 'bbbbbb-2', 'cccccc-3']);
    const route = consoleRoute({
      store,
      search,
      published: () => published,
      onCheckpoint: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
      origin: logKey.name,
      logVkey: logKey.vkey,
      policy: undefined,
      collectorKeys: () => [parseVkey(collector.vkey)],
      logger: silentLogger(),
      closing: closing.signal,
      assetsDir: join(dir, 'no-assets'),
    });
    server = createServer((req, res) => void route.handle(req, res, ''));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    closing.abort();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 before the first checkpoint, with the security headers', async () => {
    const res = await fetch(`${base}/api/entries`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.match(((await res.json()) as { error: string }).error, /no checkpoint/);
  });

  it('serves only the data API when the browser files were not built', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });

  it('serves entries that verify with the browser checks, newest first', async () => {
    publish();
    const trust = (await (await fetch(`${base}/api/trust`)).json()) as TrustJson;
    assert.equal(trust.policy, servedPolicy(undefined, logKey.vkey));
    const answer = (await (await fetch(`${base}/api/entries?namespace=shop`)).json()) as EntriesJson;
    assert.deepEqual(
      answer.entries.map((e) => e.index),
      ['2', '1', '0'],
    );
    const t = trustOf(trust);
    const cp = verifyCheckpoint(answer.checkpoint, t);
    assert.equal(cp.status, 'verified');
    for (const e of answer.entries) assert.equal(verifyEntry(e, cp, t).status, 'verified');
    assert.equal(answer.entries[0]?.leaf, encodeBase64(store.entries(2n, 3n)[0]?.leaf as Uint8Array));
  });

  it('pages with limit and the next token', async () => {
    const first = (await (await fetch(`${base}/api/entries?limit=2`)).json()) as EntriesJson;
    assert.equal(first.entries.length, 2);
    assert.ok(first.next !== undefined);
    const second = (await (
      await fetch(`${base}/api/entries?limit=2&page=${first.next}`)
    ).json()) as EntriesJson;
    assert.deepEqual(
      second.entries.map((e) => e.index),
      ['0'],
    );
  });

  it('tells a live stream when more entries can be read', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/api/live`, { signal: ac.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const until = async (re: RegExp) => {
      while (!re.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += new TextDecoder().decode(value);
      }
    };
    await until(/event: size\ndata: \{"size":"3"\}/);
    append(search, ['dddddd-4']);
    publish();
    await until(/data: \{"size":"4"\}/);
    ac.abort();
  });

  it('downloads the evidence of one entry as a tar with the README command', async () => {
    const res = await fetch(`${base}/api/bundle?index=1`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-tar');
    assert.match(res.headers.get('content-disposition') ?? '', /entry-1-evidence\.tar/);
    const tar = new TextDecoder('latin1').decode(await res.arrayBuffer());
    for (const name of [
      'README.md',
      'entry-1.leaf',
      'entry-1.tlog-proof',
      'policy',
      'collector.vkeys',
      'manifest.json',
    ])
      assert.ok(tar.includes(`entry-1-evidence/${name}`), name);
    assert.ok(tar.includes('--collector-vkeys collector.vkeys'));
  });

  it('answers 404 for an index past the published checkpoint', async () => {
    assert.equal((await fetch(`${base}/api/bundle?index=4`)).status, 404);
  });
});

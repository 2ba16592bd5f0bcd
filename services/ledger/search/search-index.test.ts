// SearchIndex against a real SQLite file laid out as the ledger's: every filter and random
// combinations checked against a brute-force scan, pagination while entries arrive, hostile
// requests, and reindex giving the same index as incremental ingest.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type SearchEntriesRequest, SearchEntriesRequestSchema } from '../../../packages/proto/index.js';
import { RULE_IDS } from '../../../packages/risk/index.js';
import { silentLogger } from '../../../packages/runtime/index.js';
import {
  bruteForce,
  CLUSTERS,
  Corpus,
  type Filter,
  HOST_POOL,
  NAMES,
  NAMESPACES,
  prng,
  USERS,
  WORDS,
} from '../testing/corpus.js';
import { openTestLedger, type TestLedger } from '../testing/index.js';
import { SearchError, type SearchErrorCode } from './errors.js';
import { MAX_FILTER_CHARS } from './filters.js';
import { reindex } from './reindex.js';
import { SearchIndex } from './search-index.js';

const ENTRIES = 600;

function request(f: Filter, pageSize = 0, pageToken = ''): SearchEntriesRequest {
  return create(SearchEntriesRequestSchema, {
    cluster: f.cluster ?? '',
    namespace: f.namespace ?? '',
    name: f.name ?? '',
    user: f.user ?? '',
    action: f.action ?? '',
    verb: f.verb ?? '',
    resource: f.resource ?? '',
    host: f.host ?? '',
    responseCode: f.responseCode ?? 0,
    risk: f.risk ?? '',
    text: f.word ?? '',
    pageSize,
    pageToken,
    ...(f.sinceUs === undefined ? {} : { since: timestampFromMs(Number(f.sinceUs / 1000n)) }),
    ...(f.untilUs === undefined ? {} : { until: timestampFromMs(Number(f.untilUs / 1000n)) }),
  });
}

function allPages(l: TestLedger, f: Filter, pageSize: number, published: () => bigint): bigint[] {
  const out: bigint[] = [];
  let token = '';
  for (let pages = 0; pages < 10_000; pages++) {
    const res = l.index.search(request(f, pageSize, token), published());
    out.push(...res.results.map((r) => r.index));
    if (res.nextPageToken === '') return out;
    token = res.nextPageToken;
  }
  throw new Error('pagination did not end');
}

/** Asserts that `fn` throws a SearchError with this code. */
const refused = (code: SearchErrorCode, fn: () => unknown) =>
  assert.throws(fn, (e: unknown) => e instanceof SearchError && e.code === code);

describe('SearchIndex full text with non-ASCII text', () => {
  it('matches terms in entries the pair table does not hold', () => {
    const l = openTestLedger();
    try {
      const corpus = new Corpus(11);
      const changes = corpus.next(40);
      const odd = changes[7];
      const odd2 = changes[20];
      assert.ok(odd !== undefined && odd2 !== undefined);
      odd.reason = 'déploiement de shop.example.com';
      odd2.reason = 'Ünïcödé shop.example.com.example.com';
      l.append(changes);
      const q = (text: string) =>
        l.index.search(request({ word: text }, 1000), l.size()).results.map((r) => r.index);
      const viaFts = (text: string) =>
        (
          l.db
            .prepare('SELECT rowid AS idx FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC')
            .all(`"${text}"`) as { idx: bigint }[]
        ).map((r) => r.idx);
      for (const text of ['shop.example.com', 'com.example', 'de shop.example', 'déploiement de']) {
        assert.deepEqual(q(text), viaFts(text), text);
      }
      assert.ok(q('shop.example.com').includes(7n));
      assert.ok(q('com.example').includes(20n));
      assert.deepEqual(q('de shop.example'), [7n]);
    } finally {
      l.close();
    }
  });

  it('an index made before the pair table keeps answering from search_fts', () => {
    const l = openTestLedger();
    try {
      l.append(new Corpus(3).next(30));
      const want = l.index.search(request({ word: 'shop.example.com' }, 1000), l.size()).results;
      l.db.exec('DROP TABLE search_fts_pairs');
      l.db.exec("DELETE FROM search_meta WHERE key = 'fts_pairs'");
      const again = new SearchIndex(l.db, { logger: silentLogger() });
      assert.deepEqual(again.search(request({ word: 'shop.example.com' }, 1000), l.size()).results, want);
      assert.ok(want.length > 0);
    } finally {
      l.close();
    }
  });
});

describe('SearchIndex', () => {
  let l: TestLedger;
  let corpus: Corpus;
  const risks = new Map<bigint, Set<string>>();

  before(() => {
    l = openTestLedger();
    corpus = new Corpus(7);
    for (let i = 0; i < ENTRIES / 50; i++) {
      for (const r of l.append(corpus.next(50))) risks.set(r.index, new Set(r.findings.map((f) => f.rule)));
    }
  });
  after(() => l.close());

  const check = (f: Filter, pageSize = 1000) => {
    const want = bruteForce(corpus.entries, f, risks, l.size());
    assert.deepEqual(
      allPages(l, f, pageSize, () => l.size()),
      want,
      JSON.stringify(f, (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
    return want.length;
  };

  const t0 = () => corpus.entries[100]?.change.stageTimestamp ?? '';
  const us = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

  describe('each filter alone matches a brute-force scan', () => {
    const single: [string, () => Filter][] = [
      ['no filter', () => ({})],
      ['cluster', () => ({ cluster: 'us2' })],
      ['namespace', () => ({ namespace: 'payments' })],
      ['name', () => ({ name: 'admin' })],
      ['user', () => ({ user: 'system:anonymous' })],
      ['action', () => ({ action: 'delete' })],
      ['verb', () => ({ verb: 'patch' })],
      ['resource', () => ({ resource: 'ingresses' })],
      ['host', () => ({ host: 'shop.example.com' })],
      ['wildcard host', () => ({ host: '*.example.org' })],
      ['response_code', () => ({ responseCode: 403 })],
      ['risk', () => ({ risk: 'nginx-snippet' })],
      ['since', () => ({ sinceUs: us(t0()) })],
      ['until', () => ({ untilUs: us(t0()) })],
      ['text (reason word)', () => ({ word: 'refund' })],
      ['text (user)', () => ({ word: 'alice' })],
      ['text (annotation value)', () => ({ word: 'auth' })],
    ];
    for (const [name, f] of single) {
      it(name, () => {
        const n = check(f());
        if (name !== 'nothing') assert.ok(n > 0, 'the corpus exercises the filter');
      });
    }
  });

  it('random combinations of filters, read in random page sizes, match the scan', () => {
    const r = prng(99);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    let nonEmpty = 0;
    for (let i = 0; i < 150; i++) {
      const f: Filter = {};
      if (r() < 0.4) f.cluster = pick(CLUSTERS);
      if (r() < 0.4) f.namespace = pick(NAMESPACES);
      if (r() < 0.3) f.name = pick(NAMES);
      if (r() < 0.3) f.user = pick(USERS);
      if (r() < 0.2) f.action = pick(['create', 'update', 'delete']);
      if (r() < 0.2) f.verb = pick(['create', 'update', 'patch', 'delete']);
      if (r() < 0.2) f.host = pick(HOST_POOL.filter((h) => h !== ''));
      if (r() < 0.15) f.responseCode = pick([200, 201, 403]);
      if (r() < 0.2) f.risk = pick(RULE_IDS);
      if (r() < 0.2) f.word = pick(WORDS);
      if (r() < 0.3) f.sinceUs = us(corpus.entries[Math.floor(r() * ENTRIES)]?.change.stageTimestamp ?? '');
      if (r() < 0.3) f.untilUs = (f.sinceUs ?? 0n) + BigInt(Math.floor(r() * 2e5)) * 1_000_000n;
      if (check(f, 1 + Math.floor(r() * 40)) > 0) nonEmpty++;
    }
    assert.ok(nonEmpty > 30, `${nonEmpty} combinations had results`);
  });

  it('finds a host by full text', () => {
    const got = l.index.search(request({ word: 'shop.example.com' }, 1000), l.size()).results.length;
    assert.ok(got >= check({ host: 'shop.example.com' }));
  });

  describe('terms of several tokens (hosts, users, names) match the phrase scan', () => {
    const toks = (x: string) =>
      x
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((t) => t !== '');
    const hasPhrase = (col: string, p: readonly string[]) => {
      const ts = toks(col);
      for (let i = 0; i + p.length <= ts.length; i++) if (p.every((w, j) => ts[i + j] === w)) return true;
      return false;
    };
    const scan = (text: string) =>
      corpus.entries
        .filter(({ idx, change: c, hosts, annotationValues }) => {
          if (idx >= l.size()) return false;
          const cols = [
            c.reason ?? '',
            [c.user.username, c.impersonatedUser?.username ?? ''].filter((u) => u !== '').join(' '),
            [c.object.name, c.object.namespace, c.cluster].join(' '),
            [...new Set(hosts)].join(' '),
            annotationValues.join('\n'),
          ];
          return text
            .split(/\s+/)
            .filter((t) => t !== '')
            .every((t) => cols.some((col) => hasPhrase(col, toks(t))));
        })
        .map((e) => e.idx)
        .reverse();
    const direct = (text: string) =>
      (
        l.db.prepare('SELECT rowid AS idx FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC').all(
          text
            .split(/\s+/)
            .filter((t) => t !== '')
            .map((t) => `"${t.replaceAll('"', '""')}"`)
            .join(' '),
        ) as { idx: bigint }[]
      ).map((r) => r.idx);
    for (const text of [
      'shop.example.com',
      'Shop.Example.COM',
      'example.com',
      'shop.example',
      '*.example.org',
      'api.example.com shop.example.com',
      'alice@example.com',
      'example.com alice',
      'system:serviceaccount:ci:deployer',
      'serviceaccount:ci',
      'web payments',
      'web shop eu1',
      'com api',
      'auth.refund.example.com',
      'https://auth.canary.example.com',
      'more_set_headers',
      'X-hotfix: 1',
      'refund for ticket',
      'for-ticket-4',
      'example.com.',
    ]) {
      it(text, () => {
        const got = allPages(l, { word: text }, 37, () => l.size());
        assert.deepEqual(got, scan(text));
        assert.deepEqual(got, direct(text));
      });
    }
    it('the corpus exercises them', () => {
      assert.ok(scan('shop.example.com').length > 20);
      assert.ok(scan('alice@example.com').length > 20);
      assert.ok(scan('web shop eu1').length > 0);
    });
  });

  it('returns only entries below the published size', () => {
    const res = l.index.search(request({}, 1000), 10n);
    assert.deepEqual(
      res.results.map((x) => x.index),
      [9n, 8n, 7n, 6n, 5n, 4n, 3n, 2n, 1n, 0n],
    );
  });

  it('returns the findings of each result', () => {
    const res = l.index.search(request({ risk: 'unusual-actor' }, 5), l.size());
    assert.ok(res.results.length > 0);
    for (const x of res.results)
      assert.ok(x.findings.some((f) => f.rule === 'unusual-actor' && f.severity !== undefined));
  });

  describe('hostile requests are refused with a SearchError code', () => {
    const big = 'x'.repeat(10 * 1024);
    const cases: [string, SearchErrorCode, () => SearchEntriesRequest][] = [
      ['page_size over 1000', 'BAD_PAGE', () => request({}, 1001)],
      ['page_size 2^32-1', 'BAD_PAGE', () => request({}, 0xffffffff)],
      ['a 10 KB namespace', 'TOO_LONG', () => request({ namespace: big })],
      ['a 10 KB text', 'TOO_LONG', () => request({ word: big })],
      ['a 10 KB host', 'TOO_LONG', () => request({ host: big })],
      ['a 10 KB user', 'TOO_LONG', () => request({ user: big })],
      ['a 10 KB page token', 'BAD_PAGE', () => request({}, 10, big)],
      ['too many text terms', 'BAD_TEXT', () => request({ word: 'a '.repeat(40) })],
      ['a NUL in text', 'BAD_VALUE', () => request({ word: 'refund\u0000' })],
      ['whitespace-only text', 'BAD_TEXT', () => request({ word: '   ' })],
      ['an unknown action', 'BAD_VALUE', () => request({ action: 'patch' })],
      ['an unknown verb', 'BAD_VALUE', () => request({ verb: 'get' })],
      ['an unknown risk rule', 'BAD_VALUE', () => request({ risk: 'nginx-snippet OR 1=1' })],
      ['response_code 9999', 'BAD_VALUE', () => request({ responseCode: 9999 })],
      ['since after until', 'BAD_VALUE', () => request({ sinceUs: 2_000_000_000n, untilUs: 1_000_000_000n })],
      [
        'since nanos out of range',
        'BAD_VALUE',
        () => create(SearchEntriesRequestSchema, { since: { seconds: 1n, nanos: -1 } }),
      ],
      [
        'since seconds out of range',
        'BAD_VALUE',
        () => create(SearchEntriesRequestSchema, { since: { seconds: 1n << 62n, nanos: 0 } }),
      ],
      ['a page token of junk', 'BAD_PAGE', () => request({}, 10, '!!!not-base64!!!')],
      [
        'a page token that decodes to junk',
        'BAD_PAGE',
        () => request({}, 10, Buffer.from('p1.12.zz.extra').toString('base64url')),
      ],
      [
        'a page token with a huge index',
        'BAD_PAGE',
        () => request({}, 10, Buffer.from(`p1.${'9'.repeat(25)}.abc`).toString('base64url')),
      ],
    ];
    for (const [name, code, req] of cases)
      it(`${name}: ${code}`, () => refused(code, () => l.index.search(req(), l.size())));

    it('a page token made for other filters', () => {
      const first = l.index.search(request({ cluster: 'eu1' }, 2), l.size());
      assert.notEqual(first.nextPageToken, '');
      refused('BAD_PAGE', () =>
        l.index.search(request({ cluster: 'us2' }, 2, first.nextPageToken), l.size()),
      );
    });

    it(`accepts strings up to ${MAX_FILTER_CHARS} characters`, () => {
      assert.deepEqual(
        l.index.search(request({ namespace: 'n'.repeat(MAX_FILTER_CHARS) }), l.size()).results,
        [],
      );
    });
  });

  it('never passes FTS5 syntax through', () => {
    for (const q of [
      '"unterminated',
      'a OR b',
      'NEAR(a b)',
      '*',
      'reason:refund',
      '^refund',
      'a AND',
      '(',
      ')',
      "'; DROP TABLE entries; --",
      'refund"',
      '""""',
      '-x',
    ]) {
      const res = l.index.search(request({ word: q }), l.size());
      assert.ok(Array.isArray(res.results), q);
    }
    assert.equal(
      (l.db.prepare('SELECT count(*) AS n FROM entries').get() as { n: bigint }).n,
      BigInt(ENTRIES),
    );
  });

  it('paginates while entries arrive, returning each entry once', () => {
    const seen: bigint[] = [];
    let token = '';
    const startSize = l.size();
    for (;;) {
      const res = l.index.search(request({ cluster: 'eu1' }, 7, token), l.size());
      seen.push(...res.results.map((r) => r.index));
      for (const x of l.append(corpus.next(5))) risks.set(x.index, new Set(x.findings.map((f) => f.rule)));
      if (res.nextPageToken === '') break;
      token = res.nextPageToken;
    }
    assert.equal(new Set(seen).size, seen.length, 'no duplicates');
    assert.deepEqual(seen, bruteForce(corpus.entries, { cluster: 'eu1' }, risks, startSize));
  });

  it('reindex from the leaves gives the same index', () => {
    const dump = () =>
      ['search_entries', 'search_attrs', 'search_findings'].map((t) =>
        JSON.stringify(l.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3`).all(), (_k, v) =>
          typeof v === 'bigint' ? String(v) : v,
        ),
      );
    const fts = () =>
      [...WORDS, 'shop.example.com', 'alice@example.com', 'web shop', 'refund for ticket'].map((w) =>
        l.index
          .search(request({ word: w }, 1000), l.size())
          .results.map((r) => String(r.index))
          .join(),
      );
    const before = [dump(), fts()];
    let progress = 0n;
    const n = reindex(l.db, { logger: silentLogger(), onProgress: (done) => (progress = done) });
    assert.equal(n, l.size());
    assert.equal(progress, l.size());
    assert.deepEqual([dump(), fts()], before);
  });
});

// The filters of issue 18 (`reason_missing`, `attribution`) against a brute-force scan of the same
// corpus, hostile values, and an index made before attribution existed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import type { Change } from '../../../packages/change/index.js';
import { hasReason } from '../../../packages/change/index.js';
import { SearchEntriesRequestSchema } from '../../../packages/proto/index.js';
import { silentLogger } from '../../../packages/runtime/index.js';
import { CLUSTERS, Corpus, prng } from '../testing/corpus.js';
import { openTestLedger } from '../testing/index.js';
import { SearchError } from './errors.js';
import { SearchIndex } from './search-index.js';

const SOURCES = [
  { tool: 'argocd', name: 'shop', revision: 'abc' },
  { tool: 'argocd', name: 'blog' },
  { tool: 'flux', name: 'apps' },
  { tool: 'helm', name: 'web', revision: 'web-1.4.2' },
  { tool: 'kubectl', name: 'kubectl-edit' },
  { tool: 'ci', url: 'https://ci.example.com/1' },
  { tool: 'argocd', name: 'ns_shop:odd' },
];

function corpus(n: number): Change[] {
  const r = prng(7);
  const changes = new Corpus(3).next(n);
  for (const c of changes) {
    const x = r();
    const source = SOURCES[Math.floor(r() * SOURCES.length)];
    if (x < 0.6 && source !== undefined) c.attribution = { ...source };
    if (x > 0.95) c.reason = ' \t';
  }
  return changes;
}

function brute(changes: readonly Change[], keep: (c: Change) => boolean): bigint[] {
  return changes
    .map((c, i) => [c, BigInt(i)] as const)
    .filter(([c]) => keep(c))
    .map(([, i]) => i)
    .reverse();
}

const matchesAttribution = (c: Change, f: string) => {
  const a = c.attribution;
  if (a === undefined) return false;
  const [tool, ...rest] = f.split(':');
  return a.tool === tool?.toLowerCase() && (rest.length === 0 || a.name === rest.join(':'));
};

describe('SearchIndex reason_missing and attribution filters', () => {
  const l = openTestLedger();
  const changes = corpus(400);
  l.append(changes);
  const search = (init: Parameters<typeof create<typeof SearchEntriesRequestSchema>>[1]) =>
    l.index
      .search(create(SearchEntriesRequestSchema, { pageSize: 1000, ...init }), l.size())
      .results.map((r) => r.index);

  it('reason_missing selects exactly the changes without a (non-blank) reason', () => {
    const want = brute(changes, (c) => !hasReason(c));
    assert.ok(want.length > 50);
    assert.deepEqual(search({ reasonMissing: true }), want);
  });

  for (const f of [
    'argocd',
    'argocd:shop',
    'ARGOCD:shop',
    'helm:web',
    'ci',
    'flux:apps',
    'argocd:ns_shop:odd',
    'argocd:none',
  ]) {
    it(`attribution ${f} matches the brute-force selection`, () => {
      assert.deepEqual(
        search({ attribution: f }),
        brute(changes, (c) => matchesAttribution(c, f)),
      );
    });
  }

  it('ANDs both with the other filters', () => {
    for (const cluster of CLUSTERS) {
      assert.deepEqual(
        search({ cluster, attribution: 'argocd', reasonMissing: true }),
        brute(changes, (c) => c.cluster === cluster && matchesAttribution(c, 'argocd') && !hasReason(c)),
      );
    }
  });

  for (const [name, value] of [
    ['an empty tool', ':shop'],
    ['an empty name', 'argocd:'],
    ['a tool with spaces', 'argo cd'],
    ['a long tool', 'x'.repeat(65)],
    ['a value over the filter limit', `argocd:${'x'.repeat(2000)}`],
    ['NUL', 'argocd:\u0000'],
  ] as const) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => search({ attribution: value }),
        (e: unknown) => e instanceof SearchError && e.field === 'attribution',
      );
    });
  }

  it('marks an index that had entries before attribution, and warns', () => {
    l.db.exec("DELETE FROM search_meta WHERE key = 'attribution'");
    const warnings: string[] = [];
    const logger = silentLogger();
    logger.warn = ((msg: string) => warnings.push(msg)) as typeof logger.warn;
    new SearchIndex(l.db, { logger });
    const row = l.db.prepare("SELECT value FROM search_meta WHERE key = 'attribution'").get() as {
      value: number | bigint;
    };
    assert.equal(Number(row.value), 0);
    assert.ok(warnings.some((w) => w.includes('reindex')));
    l.close();
  });
});

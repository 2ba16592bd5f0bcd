// How a change reads with and without the fields of issue 18: a leaf made before attribution
// existed still renders, and the why falls back from the reason to the attributed source.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Change, openLeaf } from '../../packages/change/index.js';
import { parseVkey } from '../../packages/tlog/index.js';
import { makeChange } from '../../test/ledger-fixtures.js';
import { REPO_ROOT } from '../../test/support/shared.js';
import { attributionLabel, describeChange, whyCell } from './render-change.js';

const SHA = '3f2c1e9a7b5d4c3e2f1a0b9c8d7e6f5a4b3c2d1e';

describe('rendering the why of a change', () => {
  it('renders a leaf made before attribution existed', () => {
    const dir = join(REPO_ROOT, 'packages', 'change', 'fixtures');
    const vkey = parseVkey(readFileSync(join(dir, 'leaf-before-attribution.vkey'), 'utf8').trim());
    const { change } = openLeaf(readFileSync(join(dir, 'leaf-before-attribution.note')), [vkey]);
    const lines = new Map(describeChange(change));
    assert.equal(lines.get('why'), 'made before the attribution field existed');
    assert.equal(lines.get('source'), '(not attributed)');
    assert.equal(attributionLabel(change), undefined);
  });

  const cases: [string, Partial<Change>, string][] = [
    ['the reason first', { reason: 'CHG-1', attribution: { tool: 'argocd', name: 'shop' } }, 'CHG-1'],
    [
      'the source when no reason',
      { reason: null, attribution: { tool: 'argocd', name: 'shop', revision: SHA } },
      '(argocd shop @3f2c1e9a7b5d)',
    ],
    ['a dash when neither', { reason: '  ' }, '-'],
    ['a long reason cut', { reason: 'x'.repeat(100) }, `${'x'.repeat(47)}…`],
  ];
  for (const [name, over, want] of cases) {
    it(`shows ${name}`, () => assert.equal(whyCell({ ...makeChange('c', 'a'), ...over }), want));
  }

  it('labels every attribution field', () => {
    const c = {
      ...makeChange('c', 'a'),
      attribution: { tool: 'ci', name: 'deploy', revision: '2.7.0', url: 'https://ci/1' },
    };
    assert.equal(attributionLabel(c), 'ci deploy @2.7.0 https://ci/1');
  });
});

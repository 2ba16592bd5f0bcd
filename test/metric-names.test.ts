// One metric namespace, and alerts and docs that name real metrics: every metric the code defines
// is `ingress_ledger_*`, and every `ingress_ledger_*` name in the PrometheusRule and in docs/ is one
// the code defines (a renamed metric would otherwise leave an alert that never fires).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isTestCode } from './support/import-graph.js';

const root = new URL('../..', import.meta.url).pathname; // from dist/test/

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...filesUnder(rel, ext));
    else if (name.endsWith(ext)) out.push(rel);
  }
  return out;
}

/** Names given to prom-client metrics in production code. */
function definedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const f of [...filesUnder('services', '.ts'), ...filesUnder('packages', '.ts')]) {
    if (isTestCode(f)) continue;
    const text = readFileSync(join(root, f), 'utf8');
    for (const m of text.matchAll(/\bname: '([a-z_:]+)'/g)) {
      if (m[1]?.includes('_')) names.add(m[1]);
    }
    // A name built on the namespace constant (packages/runtime/metrics.ts).
    for (const m of text.matchAll(/`\$\{METRIC_PREFIX\}([a-z_]+)`/g)) names.add(`ingress_ledger_${m[1]}`);
  }
  return names;
}

const SUFFIX = /_(bucket|sum|count)$/;
/** Node.js process metrics, registered with the prefix by collectDefaultMetrics. */
const DEFAULT_METRIC = /^ingress_ledger_(process|nodejs)_/;

function referenced(text: string): Set<string> {
  return new Set([...text.matchAll(/\bingress_ledger_[a-z_]+[a-z]/g)].map((m) => m[0]));
}

describe('metric names', () => {
  const defined = definedMetrics();

  it('are all in the ingress_ledger_ namespace', () => {
    assert.ok(defined.size > 20, `found ${defined.size} metric definitions`);
    for (const n of defined) {
      if (n.startsWith('ingress_ledger_')) continue;
      assert.fail(`metric ${n} is outside ingress_ledger_*`);
    }
    assert.ok(defined.has('ingress_ledger_build_info'));
  });

  const known = (name: string) =>
    defined.has(name) || defined.has(name.replace(SUFFIX, '')) || DEFAULT_METRIC.test(name);

  it('used by the PrometheusRule alerts are metrics the services define', () => {
    const rules = readFileSync(join(root, 'deploy/kubernetes/base/monitoring/prometheus-rule.yaml'), 'utf8');
    const used = referenced(rules);
    assert.ok(used.size >= 8, `the rules name ${used.size} metrics`);
    for (const n of used) assert.ok(known(n), `the PrometheusRule uses ${n}, which no service defines`);
  });

  it('named in docs/ are metrics the services define', () => {
    for (const f of filesUnder('docs', '.md')) {
      for (const n of referenced(readFileSync(join(root, f), 'utf8'))) {
        // A family written as a prefix (ingress_ledger_collector_*) is not a metric name.
        if (n.endsWith('_')) continue;
        assert.ok(known(n), `${f} names ${n}, which no service defines`);
      }
    }
  });
});

// Each rule of DESIGN 5.1 with a positive and a negative case built from the real manifests in
// ../shared/testdata/k8s-audit (ingress-nginx, kubernetes website and Gateway API examples, copied
// there from those projects), plus our own fixtures in packages/risk/fixtures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, SHARED_MISSING, sharedTestdata } from '../../test/support/shared.js';
import type { Change } from '../change/index.js';
import { defaultRiskConfig, parseRiskConfig, type RiskConfig } from './config.js';
import { RiskEngine } from './evaluate.js';
import { storedAfter } from './stored-object.js';
import { type ChangeSpec, changeOf, edited, manifestsOf } from './testing/index.js';
import { ann, manifest, NGX, RULE_CASES } from './testing/rule-cases.js';
import type { Finding, RuleId } from './types.js';

/** Feeds a sequence of changes of one object through a fresh engine; returns the last findings. */
function run(steps: ChangeSpec[], config: RiskConfig = defaultRiskConfig()): Finding[] {
  const engine = new RiskEngine(config);
  let before: unknown = null;
  let findings: Finding[] = [];
  for (const s of steps) {
    const change: Change = changeOf(s);
    const after = storedAfter(change, before);
    findings = engine.evaluate({ change, before, after }).findings;
    before = after;
  }
  return findings;
}

const skip = sharedTestdata('k8s-audit') === undefined ? SHARED_MISSING : false;

const has = (fs: Finding[], rule: RuleId, path?: string) =>
  fs.some((f) => f.rule === rule && (path === undefined || f.path === path));

describe('risk rules on the real example manifests', { skip }, () => {
  for (const c of RULE_CASES) {
    describe(`${c.rule}: when ${c.name}`, () => {
      it(c.fires ? `reports ${c.rule}${c.path ? ` at ${c.path}` : ''}` : `does not report ${c.rule}`, () => {
        const findings = run(c.steps(), c.config?.());
        assert.equal(has(findings, c.rule, c.path), c.fires, JSON.stringify(findings, null, 1));
      });
    });
  }

  it('covers every rule with a positive and a negative case', () => {
    for (const rule of new Set(RULE_CASES.map((c) => c.rule))) {
      assert.ok(
        RULE_CASES.some((c) => c.rule === rule && c.fires) &&
          RULE_CASES.some((c) => c.rule === rule && !c.fires),
        rule,
      );
    }
    assert.equal(new Set(RULE_CASES.map((c) => c.rule)).size, 12);
  });
});

describe('risk rules on our own fixtures', () => {
  const shop = () => manifest('fixtures/shop-ingress.yaml');

  it('reports the removed TLS host and the turned-off force-ssl-redirect of a patch', () => {
    const m = shop();
    const weaker = edited(m, (o) => {
      o.spec.tls[0].hosts = ['shop.example.com'];
      o.metadata.annotations[`${NGX}force-ssl-redirect`] = 'false';
    });
    const fs = run([{ object: m }, { object: weaker, verb: 'patch' }]);
    assert.ok(has(fs, 'tls-removed', '/spec/tls/0/hosts/1'));
    assert.ok(has(fs, 'tls-removed', ann(`${NGX}force-ssl-redirect`)));
  });

  it('reports a Gateway HTTPS listener turned into HTTP', () => {
    const gw = manifestsOf(
      readFileSync(join(REPO_ROOT, 'packages/risk/fixtures/shop-gateway.yaml'), 'utf8'),
    )[0];
    const http = edited(gw, (o) => (o.spec.listeners[0].protocol = 'HTTP'));
    assert.ok(
      has(
        run([{ object: gw }, { object: http, verb: 'update' }]),
        'tls-removed',
        '/spec/listeners/0/protocol',
      ),
    );
  });

  it('reports a burst of denials once, at the threshold', () => {
    const engine = new RiskEngine(
      parseRiskConfig('rules:\n  denied-attempt:\n    burstThreshold: 3\n    burstWindowSeconds: 10\n'),
    );
    const bursts = [0, 1, 2, 3, 30].map((s) => {
      const change = changeOf({
        object: shop(),
        verb: 'update',
        responseCode: 403,
        stageTimestamp: `2026-11-26T10:00:${String(s).padStart(2, '0')}.000000Z`,
      });
      return engine
        .evaluate({ change, before: null, after: null })
        .findings.filter((f) => f.message.startsWith('burst')).length;
    });
    assert.deepEqual(bursts, [0, 0, 1, 0, 0]);
  });

  it('skips a disabled rule and an exempt user', () => {
    const off = parseRiskConfig('rules:\n  host-exposed:\n    enabled: false\n');
    assert.equal(has(run([{ object: shop() }], off), 'host-exposed'), false);
    const exempt = parseRiskConfig(
      'rules:\n  host-exposed:\n    exemptUsers: [alice@example.com]\n    severity: low\n',
    );
    assert.equal(has(run([{ object: shop() }], exempt), 'host-exposed'), false);
    assert.equal(has(run([{ object: shop() }]), 'host-exposed'), true);
  });

  it('applies the configured severity', () => {
    const cfg = parseRiskConfig('rules:\n  nginx-risky-annotation:\n    severity: low\n');
    const f = run([{ object: shop() }], cfg).find((x) => x.rule === 'nginx-risky-annotation');
    assert.equal(f?.severity, 'low');
  });

  it('ignores failed attempts for object rules', () => {
    const fs = run([{ object: shop(), responseCode: 422 }]);
    assert.deepEqual(fs, []);
  });

  it('survives hostile object shapes without throwing', () => {
    const shapes: unknown[] = [
      {
        kind: 'Ingress',
        metadata: { annotations: 'x' },
        spec: { rules: 'nope', tls: [null, 1, { hosts: 'a' }] },
      },
      { kind: 'Gateway', metadata: {}, spec: { listeners: [null, { allowedRoutes: 'All' }] } },
      {
        kind: 'HTTPRoute',
        metadata: { annotations: { [`${NGX}auth-url`]: 7 } },
        spec: { rules: [{ filters: [null, { requestRedirect: 5 }] }] },
      },
    ];
    const engine = new RiskEngine(defaultRiskConfig());
    for (const s of shapes) {
      const change = changeOf({ object: s, verb: 'update' });
      const r = engine.evaluate({ change, before: s, after: { ...(s as object), spec: [] } });
      assert.deepEqual(r.failures, []);
    }
  });
});

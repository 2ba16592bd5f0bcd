// Rule settings files and address ranges: bad input is BAD_CONFIG naming the key, never a default.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, ipInRanges, parseCidr, parseRangeList } from './cidr.js';
import { DEFAULT_BURST_THRESHOLD, parseRiskConfig } from './config.js';
import { RiskError } from './errors.js';

const badConfig = (text: string) => () =>
  assert.throws(
    () => parseRiskConfig(text),
    (e) => e instanceof RiskError && e.code === 'BAD_CONFIG',
  );

describe('parseRiskConfig', () => {
  it('reads every tunable', () => {
    const cfg = parseRiskConfig(`
annotationPrefixes: [nginx.ingress.kubernetes.io/, nginx.org/]
rules:
  nginx-snippet: { enabled: false }
  host-exposed: { severity: low, exemptUsers: [ci-bot] }
  unusual-actor: { allowedUsers: [alice], allowedSourceRanges: [10.0.0.0/8, "fd00::/8"] }
  denied-attempt: { burstThreshold: 9, burstWindowSeconds: 120, burstSeverity: critical }
`);
    assert.equal(cfg.rules['nginx-snippet'].enabled, false);
    assert.equal(cfg.rules['host-exposed'].severity, 'low');
    assert.deepEqual(cfg.rules['host-exposed'].exemptUsers, ['ci-bot']);
    assert.deepEqual(cfg.allowedUsers, ['alice']);
    assert.equal(cfg.allowedSourceRanges?.length, 2);
    assert.equal(cfg.burstThreshold, 9);
    assert.equal(cfg.burstSeverity, 'critical');
    assert.equal(cfg.annotationPrefixes.length, 2);
  });

  it('defaults an empty file', () => {
    assert.equal(parseRiskConfig('').burstThreshold, DEFAULT_BURST_THRESHOLD);
  });

  describe('when the file is malformed', () => {
    it('rejects YAML syntax errors', badConfig('rules: [unclosed'));
    it('rejects a list at the top', badConfig('- a\n- b\n'));
    it('rejects unknown rule ids', badConfig('rules:\n  no-such-rule: {}\n'));
    it('rejects unknown keys', badConfig('rules:\n  host-exposed: { burstThreshold: 3 }\n'));
    it('rejects unknown severities', badConfig('rules:\n  host-exposed: { severity: urgent }\n'));
    it('rejects non-boolean enabled', badConfig('rules:\n  host-exposed: { enabled: "yes" }\n'));
    it('rejects bad ranges', badConfig('rules:\n  unusual-actor: { allowedSourceRanges: [10.0.0.0/33] }\n'));
    it('rejects zero thresholds', badConfig('rules:\n  denied-attempt: { burstThreshold: 0 }\n'));
    it(
      'rejects alias bombs',
      badConfig(`a: &a [${'x,'.repeat(50)}]\nb: &b [${'*a,'.repeat(200)}]\nrules: {}\n`),
    );
  });
});

describe('CIDR ranges', () => {
  it('parses IPv4 and IPv6 strictly', () => {
    assert.equal(parseCidr('10.0.0.0/8')?.prefix, 8);
    assert.equal(parseCidr('::ffff:10.0.0.1')?.family, 6);
    for (const bad of ['10.0.0.0/08', '10.0.0/8', '10.0.0.0/-1', 'x', '', '1.2.3.4/', `${'1'.repeat(70)}`]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it('decides containment', () => {
    const wide = parseCidr('10.0.0.0/8');
    const narrow = parseCidr('10.1.0.0/16');
    assert.ok(wide && narrow && cidrContains(wide, narrow) && !cidrContains(narrow, wide));
    assert.ok(ipInRanges('fd00::1', parseRangeList('fd00::/8, 10.0.0.0/8')));
    assert.ok(!ipInRanges('192.168.1.1', parseRangeList('10.0.0.0/8,garbage')));
  });
});

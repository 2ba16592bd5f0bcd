// The audit policy rules: tied to what the collector records, the files in deploy/ generated from
// them, and `audit-policy merge` on friendly and hostile policies.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  DEFAULT_RESOURCES,
  MODIFYING_VERBS,
  RECORDED_STAGES,
  RECORDED_SUBRESOURCES,
} from '../../../packages/change/index.js';
import { CliError } from '../errors.js';
import { cli } from '../testing/run-cli.js';
import { MAX_FLOW_OPENERS, MAX_POLICY_BYTES, mergePolicy } from './merge.js';
import { ourRuleValues, type PolicyRule, RULE_MARKER, renderSnippet } from './rules.js';

const DEPLOY = new URL('../../../../deploy/', import.meta.url);
const SNIPPET_FILE = new URL('audit-policy-rules.yaml', DEPLOY);
const EXAMPLE_FILE = new URL('audit-policy.yaml', DEPLOY);
const REGENERATE =
  'regenerate: node bin/ingress-ledger.js audit-policy rules > deploy/audit-policy-rules.yaml';

const names = (rule: PolicyRule): string[] =>
  (rule.resources ?? []).flatMap((g) => g.resources.map((r) => (g.group === '' ? r : `${r}.${g.group}`)));

const POLICY = `# the cluster's own policy
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  # secrets: never bodies
  - level: Metadata
    resources:
      - group: ""
        resources: [secrets]
  - level: Request
    users: [admin]
  # everything else
  - level: Metadata
`;

/** A CliError('CONFIG') (exit 2) whose message is one line. */
function isConfigError(err: unknown): boolean {
  assert.ok(err instanceof CliError, `expected a CliError, got ${String(err)}`);
  assert.equal(err.code, 'CONFIG');
  assert.doesNotMatch(err.message, /\n/);
  return true;
}

describe('the audit policy rules', () => {
  const snippet = parse(readFileSync(SNIPPET_FILE, 'utf8')) as PolicyRule[];

  it('deploy/audit-policy-rules.yaml is the rendered rules', () => {
    assert.equal(readFileSync(SNIPPET_FILE, 'utf8'), renderSnippet(), REGENERATE);
  });

  it('record at RequestResponse exactly the resources the collector records', () => {
    const bodies = snippet.filter((r) => r.level === 'RequestResponse');
    assert.equal(bodies.length, 1);
    assert.deepEqual(new Set(names(bodies[0] as PolicyRule)), new Set(DEFAULT_RESOURCES));
  });

  it('record their recorded subresources (status) at Metadata', () => {
    const status = snippet.filter((r) => r.level === 'Metadata');
    assert.equal(status.length, 1);
    const want = DEFAULT_RESOURCES.flatMap((n) => {
      const dot = n.indexOf('.');
      return RECORDED_SUBRESOURCES.map((s) => `${n.slice(0, dot)}/${s}${n.slice(dot)}`);
    });
    assert.deepEqual(new Set(names(status[0] as PolicyRule)), new Set(want));
  });

  it('match only the verbs whose events become changes, and omit no recorded stage', () => {
    for (const rule of snippet) {
      assert.deepEqual(rule.verbs, [...MODIFYING_VERBS]);
      for (const stage of RECORDED_STAGES) assert.ok(!(rule.omitStages ?? []).includes(stage), stage);
      assert.ok(rule.omitStages?.includes('RequestReceived'));
    }
  });

  it('carry the marker on every rule', () => {
    const text = readFileSync(SNIPPET_FILE, 'utf8');
    assert.equal(text.split(`# ${RULE_MARKER}:`).length - 1, snippet.length);
  });

  it('deploy/audit-policy.yaml is the rules followed by a catch-all, and merging changes nothing', () => {
    const text = readFileSync(EXAMPLE_FILE, 'utf8');
    const example = parse(text) as { apiVersion: string; kind: string; rules: unknown[] };
    assert.equal(example.apiVersion, 'audit.k8s.io/v1');
    assert.equal(example.kind, 'Policy');
    assert.deepEqual(example.rules, [...ourRuleValues(), { level: 'None' }]);
    assert.equal(mergePolicy(text).text, text);
  });
});

describe('audit-policy merge', () => {
  it('puts our rules first and keeps the rest, comments included', () => {
    const r = mergePolicy(POLICY);
    const merged = parse(r.text) as { omitStages: string[]; rules: unknown[] };
    const theirs = (parse(POLICY) as { rules: unknown[] }).rules;
    assert.deepEqual(merged.rules, [...ourRuleValues(), ...theirs]);
    assert.deepEqual(merged.omitStages, ['RequestReceived']);
    assert.equal(r.replaced, 0);
    assert.match(r.text, /^# the cluster's own policy\n/);
    // A comment that was above the first rule stays with that rule, below ours.
    assert.match(r.text, /object\n.*\n(.*\n)* {2}# secrets: never bodies\n {2}- level: Metadata\n/);
    assert.match(r.text, / {2}# everything else\n {2}- level: Metadata\n$/);
  });

  it('is idempotent', () => {
    const once = mergePolicy(POLICY).text;
    const twice = mergePolicy(once);
    assert.equal(twice.text, once);
    assert.equal(twice.replaced, ourRuleValues().length);
  });

  it('replaces an older copy of our rules, found by its marker', () => {
    const older = POLICY.replace(
      'rules:\n',
      `rules:\n  # ${RULE_MARKER}: an older version\n  - level: Request\n    verbs: [create]\n`,
    );
    const r = mergePolicy(older);
    assert.equal(r.replaced, 1);
    assert.doesNotMatch(r.text, /older version/);
    assert.equal(r.text, mergePolicy(POLICY).text);
  });

  it('recognises our rules without their comments (a tool that strips comments)', () => {
    const stripped = mergePolicy(POLICY)
      .text.split('\n')
      .filter((l) => !l.includes(RULE_MARKER))
      .join('\n');
    const r = mergePolicy(stripped);
    assert.equal(r.replaced, ourRuleValues().length);
    assert.equal((parse(r.text) as { rules: unknown[] }).rules.length, ourRuleValues().length + 3);
  });

  it('adds a rules list to a policy without one', () => {
    for (const text of [
      'apiVersion: audit.k8s.io/v1\nkind: Policy\n',
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n',
    ]) {
      assert.deepEqual((parse(mergePolicy(text).text) as { rules: unknown[] }).rules, ourRuleValues());
    }
  });

  it('notes a policy-level omitStages that drops Panic', () => {
    const r = mergePolicy(POLICY.replace('[RequestReceived]', '[RequestReceived, Panic]'));
    assert.match(r.notes.join('\n'), /Panic/);
  });

  const refused: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['only a comment', '# nothing\n', /empty/],
    ['not YAML', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [\n', /not YAML/],
    ['a list', '- level: None\n', /not an audit Policy/],
    ['a scalar', 'hello\n', /not an audit Policy/],
    ['another kind', 'apiVersion: v1\nkind: ConfigMap\n', /kind is "ConfigMap"/],
    ['v1beta1', 'apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: []\n', /only audit.k8s.io\/v1/],
    ['two documents', `${POLICY}---\n${POLICY}`, /2 YAML documents/],
    ['rules not a list', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: 3\n', /rules must be a list/],
    ['a rule not a mapping', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [x]\n', /rules\[0\]/],
    [
      'rules as an alias',
      'x: &r [{level: None}]\napiVersion: audit.k8s.io/v1\nkind: Policy\nrules: *r\n',
      /not an alias/,
    ],
    [
      'an alias to one of our rules from outside the rules',
      `${readFileSync(EXAMPLE_FILE, 'utf8').replace('  - level: RequestResponse', '  - &ours\n    level: RequestResponse')}extra: *ours\n`,
      /cannot write the merged policy/,
    ],
    ['a duplicate key', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nkind: Policy\n', /duplicate key "kind"/],
    [
      'omitStages dropping ResponseComplete',
      POLICY.replace('[RequestReceived]', '[RequestReceived, ResponseComplete]'),
      /ResponseComplete/,
    ],
  ];
  for (const [name, text, message] of refused) {
    it(`refuses ${name} (CONFIG, one line)`, () => {
      assert.throws(() => mergePolicy(text), isConfigError);
      assert.throws(() => mergePolicy(text), message);
    });
  }

  describe('on hostile input', () => {
    const quick = (text: string, message: RegExp) => {
      const start = performance.now();
      assert.throws(() => mergePolicy(text), message);
      // A bound against blow-ups (quadratic key checks took 43 s on 50k keys), not a speed goal: wide
      // enough for a busy 2-core CI machine.
      assert.ok(performance.now() - start < 15_000, 'answered within 15 s');
    };
    it('refuses a file above the size cap', () =>
      quick(`# ${'x'.repeat(MAX_POLICY_BYTES)}\n`, /larger than/));
    it('refuses an alias bomb', () => {
      let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
      for (let i = 1; i < 8; i++)
        text += `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]\n`;
      quick(`apiVersion: audit.k8s.io/v1\nkind: Policy\n${text}`, /cannot be read .*alias/i);
    });
    it('refuses deeply nested flow collections', () => quick('['.repeat(MAX_FLOW_OPENERS + 1), /more than/));
    it('answers many keys in linear time', () => {
      const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: v`).join('\n');
      quick(`apiVersion: audit.k8s.io/v1\nkind: ConfigMap\n${keys}\n`, /kind is "ConfigMap"/);
    });
    it('refuses deep block nesting without crashing', () => quick(`${'- '.repeat(100_000)}x\n`, /not/));
  });
});

describe('ingress-ledger audit-policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-audit-policy-'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, POLICY, { mode: 0o600 });

  it('merge prints the merged policy on stdout', async () => {
    const r = await cli(['audit-policy', 'merge', '--policy', policy]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, mergePolicy(POLICY).text);
    assert.match(r.stderr, /our 2 rules are at the top/);
  });

  it('merge --out writes the file in place, keeping its mode', async () => {
    const r = await cli(['audit-policy', 'merge', '--policy', policy, '--out', policy]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(readFileSync(policy, 'utf8'), mergePolicy(POLICY).text);
    assert.equal(statSync(policy).mode & 0o777, 0o600);
  });

  it('exits 2 with one line for a missing, bad or endless file', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'kind: Policy\napiVersion: audit.k8s.io/v1beta1\n');
    for (const file of [join(dir, 'missing.yaml'), join(dir, 'bad.yaml'), '/dev/zero']) {
      const r = await cli(['audit-policy', 'merge', '--policy', file]);
      assert.equal(r.status, 2, file);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  it("merge --resources writes rules for the collector's own --resources, and refuses bad names", async () => {
    const r = await cli([
      'audit-policy',
      'merge',
      '--policy',
      policy,
      '--resources',
      'ingresses.networking.k8s.io,services',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const rules = (parse(r.stdout) as { rules: PolicyRule[] }).rules;
    assert.deepEqual(names(rules[1] as PolicyRule), ['ingresses.networking.k8s.io', 'services']);
    assert.deepEqual(names(rules[0] as PolicyRule), [
      'ingresses/status.networking.k8s.io',
      'services/status',
    ]);
    // Our default rules, found by their marker, were replaced rather than kept.
    assert.equal(rules.length, 2 + 3);
    for (const bad of ['Ingresses', 'a b', ',']) {
      assert.equal(
        (await cli(['audit-policy', 'merge', '--policy', policy, '--resources', bad])).status,
        2,
        bad,
      );
    }
  });

  it('rules prints deploy/audit-policy-rules.yaml', async () => {
    const r = await cli(['audit-policy', 'rules']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(SNIPPET_FILE, 'utf8'));
  });
});

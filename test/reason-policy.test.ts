// The reason admission policy (deploy/kubernetes/components/reason-policy) run on admission
// requests: its CEL evaluated by @marcbachmann/cel-js the way the kube-apiserver runs a
// ValidatingAdmissionPolicy (docs/kubernetes.md, ## Asking for a reason, says what the harness
// bridges). Objects are the real manifests in ../shared/testdata/k8s-audit; users are the real
// userInfo of the admission requests in kube-audit-rest (a person in system:masters, a kubelet, a
// controller's service account) and our own. The policy and packages/change/actor.ts must agree
// on who is a person.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evaluate, parse } from '@marcbachmann/cel-js';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { isHumanUser } from '../packages/change/index.js';
import { REPO_ROOT, SHARED_MISSING, sharedTestdata } from './support/shared.js';

const DIR = join(REPO_ROOT, 'deploy', 'kubernetes', 'components', 'reason-policy');
type Obj = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the policy is read by path
const policy: any = parseYaml(readFileSync(join(DIR, 'policy.yaml'), 'utf8'));
// biome-ignore lint/suspicious/noExplicitAny: the ConfigMap is read by path
const exemptions: any = parseYaml(readFileSync(join(DIR, 'exemptions.yaml'), 'utf8'));

interface UserInfo {
  username: string;
  groups?: string[];
}
type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

interface Verdict {
  /** False when the match conditions leave the request alone. */
  matched: boolean;
  /** Messages of the failed validations (empty: admitted). */
  failures: string[];
  audit: Record<string, unknown>;
}

/**
 * One admission as the apiserver evaluates a ValidatingAdmissionPolicy: match conditions (all must
 * hold), then `variables` in order (each sees the earlier ones as `variables.<name>`; cel-js has
 * no notion of them, so the harness binds them), then every validation, with its
 * messageExpression on failure, then the audit annotations.
 */
function admit(
  op: Operation,
  user: UserInfo,
  object: Obj | null,
  oldObject: Obj | null,
  params = exemptions,
): Verdict {
  const ctx: Obj = { request: { operation: op, userInfo: user }, object, oldObject, params };
  for (const c of policy.spec.matchConditions) {
    if (evaluate(c.expression, ctx) !== true) return { matched: false, failures: [], audit: {} };
  }
  const variables: Obj = {};
  ctx.variables = variables;
  for (const v of policy.spec.variables) variables[v.name] = evaluate(v.expression, ctx);
  const failures: string[] = [];
  for (const v of policy.spec.validations) {
    if (evaluate(v.expression, ctx) !== true) failures.push(String(evaluate(v.messageExpression, ctx)));
  }
  const audit: Obj = {};
  for (const a of policy.spec.auditAnnotations ?? []) {
    const value = evaluate(a.valueExpression, ctx);
    if (value !== null) audit[a.key] = value;
  }
  return { matched: true, failures, audit };
}

const withReason = (o: Obj, key: string, reason: string): Obj => {
  const c = structuredClone(o) as { metadata?: { annotations?: Record<string, string> } };
  c.metadata ??= {};
  c.metadata.annotations = { ...(c.metadata.annotations ?? {}), [key]: reason };
  return c as Obj;
};
const REASON = 'ingress-ledger.dev/reason';
const ALICE: UserInfo = { username: 'alice@example.com', groups: ['platform', 'system:authenticated'] };

const audit = sharedTestdata('k8s-audit');
const KINDS = [
  'Ingress',
  'IngressClass',
  'Gateway',
  'GatewayClass',
  'HTTPRoute',
  'GRPCRoute',
  'TLSRoute',
  'ReferenceGrant',
];

/** Every Ingress-family object of the shared manifests. */
function realObjects(): [string, Obj][] {
  const out: [string, Obj][] = [];
  if (audit === undefined) return out;
  for (const dir of ['ingress-nginx-examples', 'k8s-website-examples', 'gateway-api-examples']) {
    for (const f of readdirSync(join(audit, dir)).filter((n) => n.endsWith('.yaml'))) {
      for (const d of parseAllDocuments(readFileSync(join(audit, dir, f), 'utf8'))) {
        const o = d.toJS() as Obj | null;
        if (o !== null && typeof o === 'object' && KINDS.includes(String(o.kind)))
          out.push([`${dir}/${f}`, o]);
      }
    }
  }
  return out;
}

/** The distinct userInfo of the real admission requests in kube-audit-rest. */
function realUsers(): UserInfo[] {
  if (audit === undefined) return [];
  const seen = new Map<string, UserInfo>();
  for (const line of readFileSync(join(audit, 'kube-audit-rest', 'kube-audit-rest.log'), 'utf8').split(
    '\n',
  )) {
    if (line.trim() === '') continue;
    const u = (JSON.parse(line) as { request: { userInfo: UserInfo } }).request.userInfo;
    seen.set(u.username, u);
  }
  return [...seen.values()];
}

describe('the reason policy manifest', () => {
  it('parses every CEL expression', () => {
    const exprs = [
      ...policy.spec.matchConditions.map((c: Obj) => c.expression),
      ...policy.spec.variables.map((v: Obj) => v.expression),
      ...policy.spec.validations.flatMap((v: Obj) => [v.expression, v.messageExpression]),
      ...policy.spec.auditAnnotations.map((a: Obj) => a.valueExpression),
    ];
    for (const e of exprs) assert.doesNotThrow(() => parse(e), e);
  });

  it('starts in Warn and Audit, never Deny', () => {
    const binding = parseYaml(readFileSync(join(DIR, 'binding.yaml'), 'utf8'));
    assert.deepEqual(binding.spec.validationActions, ['Warn', 'Audit']);
  });
});

describe('the reason policy on the real manifests', {
  skip: audit === undefined ? SHARED_MISSING : false,
}, () => {
  const objects = realObjects();
  it('has objects to test', () => assert.ok(objects.length >= 25, `${objects.length}`));

  for (const [name, o] of objects) {
    it(`${name}: a person's create passes with a reason and fails without`, () => {
      const ok = admit('CREATE', ALICE, withReason(o, REASON, 'CHG-1: new site'), null);
      assert.deepEqual(ok.failures, []);
      assert.equal(ok.audit.reason, 'CHG-1: new site');
      const bad = admit('CREATE', ALICE, o, null);
      assert.equal(bad.matched, true);
      assert.match(bad.failures[0] ?? '', /ingress-ledger\.dev\/reason/);
    });
  }

  it('asks the real person and leaves the real kubelet and controller alone, as actor.ts does', () => {
    const users = realUsers();
    assert.ok(users.length >= 3);
    const [, sample] = objects[0] ?? [];
    assert.ok(sample);
    for (const u of users) {
      const v = admit('CREATE', u, sample, null);
      assert.equal(v.matched, isHumanUser(u), u.username);
      assert.equal(v.failures.length > 0, isHumanUser(u), u.username);
    }
    assert.ok(users.some((u) => u.username === 'system:admin' && isHumanUser(u)));
  });
});

describe('the reason policy on updates, deletes and exemptions', () => {
  const ing: Obj = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { rules: [{ host: 'shop.example.com' }] },
  };
  const r1 = withReason(ing, REASON, 'CHG-1');
  const r2 = withReason(ing, REASON, 'CHG-2');
  const cases: [string, Operation, UserInfo, Obj | null, Obj | null, boolean][] = [
    ['an update that sets a new reason', 'UPDATE', ALICE, r2, r1, true],
    ['an update that keeps the old reason', 'UPDATE', ALICE, r1, r1, false],
    ['an update of an object that had none, without one', 'UPDATE', ALICE, ing, ing, false],
    [
      'an update that states a change-cause',
      'UPDATE',
      ALICE,
      withReason(ing, 'kubernetes.io/change-cause', 'kubectl apply'),
      ing,
      true,
    ],
    ['an update with a blank reason', 'UPDATE', ALICE, withReason(ing, REASON, '   '), ing, false],
    ['a delete of an annotated object', 'DELETE', ALICE, null, r1, true],
    ['a delete of an object without a reason', 'DELETE', ALICE, null, ing, false],
    ['a create with a reason', 'CREATE', ALICE, r1, null, true],
    [
      'a service account without a reason',
      'UPDATE',
      {
        username: 'system:serviceaccount:argocd:argocd-application-controller',
        groups: ['system:serviceaccounts'],
      },
      ing,
      ing,
      true,
    ],
    [
      'a node without a reason',
      'DELETE',
      { username: 'system:node:n1', groups: ['system:nodes'] },
      null,
      ing,
      true,
    ],
    [
      'the controller manager without a reason',
      'UPDATE',
      { username: 'system:kube-controller-manager' },
      ing,
      ing,
      true,
    ],
    ['a person with no groups at all', 'CREATE', { username: 'carol' }, ing, null, false],
  ];
  for (const [name, op, user, object, old, admitted] of cases) {
    it(`${admitted ? 'admits' : 'refuses'} ${name}`, () => {
      assert.equal(admit(op, user, object, old).failures.length === 0, admitted);
    });
  }

  it('exempts the users and groups of the exemptions ConfigMap, and nobody else', () => {
    const params = {
      ...exemptions,
      data: { exemptUsers: 'deployer@example.com, robot', exemptGroups: 'break-glass' },
    };
    assert.equal(admit('UPDATE', { username: 'robot' }, ing, ing, params).failures.length, 0);
    assert.equal(
      admit('UPDATE', { username: 'x', groups: ['break-glass'] }, ing, ing, params).failures.length,
      0,
    );
    assert.ok(admit('UPDATE', { username: 'rob' }, ing, ing, params).failures.length > 0);
    assert.ok(admit('UPDATE', { username: 'x', groups: [''] }, ing, ing, params).failures.length > 0);
  });

  it('puts the reason in the audit annotation, cut to 1024 characters', () => {
    const long = withReason(ing, REASON, 'y'.repeat(5000));
    assert.equal(admit('CREATE', ALICE, long, null).audit.reason, 'y'.repeat(1024));
    assert.equal('reason' in admit('CREATE', ALICE, ing, null).audit, false);
  });

  it('still asks people when the ConfigMap is missing or empty', () => {
    assert.ok(admit('CREATE', ALICE, ing, null, null).failures.length > 0);
    assert.ok(admit('CREATE', ALICE, ing, null, { data: {} }).failures.length > 0);
    assert.ok(admit('CREATE', ALICE, ing, null, exemptions).failures.length > 0);
  });
});

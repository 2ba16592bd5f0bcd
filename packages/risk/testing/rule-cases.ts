// Test support: a positive and a negative case for each rule of DESIGN 5.1, built from the real
// manifests in ../shared/testdata/k8s-audit (ingress-nginx, kubernetes website and Gateway API
// examples, copied there from those projects) and our own fixtures in packages/risk/fixtures.
// Shared by the pure rule tests and the whole-pipeline test (test/search-pipeline.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, sharedTestdata } from '../../../test/support/shared.js';
import type { RiskConfig } from '../config.js';
import { parseRiskConfig } from '../config.js';
import type { RuleId } from '../types.js';
import { type ChangeSpec, edited, manifestsOf } from './changes.js';

const audit = sharedTestdata('k8s-audit');

/** The first (or `doc`-th) Ingress-family document of a manifest file. */
export function manifest(rel: string, doc = 0): Record<string, unknown> {
  const base = rel.startsWith('fixtures/') ? join(REPO_ROOT, 'packages', 'risk') : (audit ?? '');
  const all = manifestsOf(readFileSync(join(base, rel), 'utf8'));
  const m = all[doc];
  assert.ok(m, `${rel} has an Ingress-family document #${doc}`);
  return m;
}

export const ann = (key: string) => `/metadata/annotations/${key.replaceAll('/', '~1')}`;
export const NGX = 'nginx.ingress.kubernetes.io/';

export interface RuleCase {
  name: string;
  rule: RuleId;
  steps: () => ChangeSpec[];
  fires: boolean;
  path?: string;
  config?: () => RiskConfig;
}

const relabel = (m: unknown) => edited(m, (o) => (o.metadata.labels = { team: 'shop' }));

export const RULE_CASES: RuleCase[] = [
  {
    name: 'a created Ingress with a configuration-snippet',
    rule: 'nginx-snippet',
    fires: true,
    path: ann(`${NGX}configuration-snippet`),
    steps: () => [
      { object: manifest('ingress-nginx-examples/customization__configuration-snippets__ingress.yaml') },
    ],
  },
  {
    name: 'an update that leaves the snippet as it was',
    rule: 'nginx-snippet',
    fires: false,
    steps: () => {
      const m = manifest('ingress-nginx-examples/customization__configuration-snippets__ingress.yaml');
      return [{ object: m }, { object: relabel(m), verb: 'update' }];
    },
  },
  {
    name: 'a created Ingress with auth-url',
    rule: 'nginx-risky-annotation',
    fires: true,
    path: ann(`${NGX}auth-url`),
    steps: () => [{ object: manifest('ingress-nginx-examples/auth__external-auth__ingress.yaml') }],
  },
  {
    name: 'a patch that keeps auth-url',
    rule: 'nginx-risky-annotation',
    fires: false,
    steps: () => {
      const m = manifest('ingress-nginx-examples/auth__external-auth__ingress.yaml');
      return [
        { object: m },
        { object: relabel(m), verb: 'patch', request: { metadata: { labels: { team: 'shop' } } } },
      ];
    },
  },
  {
    name: 'an auth-url patched to carry a Lua directive',
    rule: 'annotation-injection',
    fires: true,
    path: ann(`${NGX}auth-url`),
    steps: () => {
      const m = manifest('ingress-nginx-examples/auth__external-auth__ingress.yaml');
      const bad = edited(
        m,
        (o) => (o.metadata.annotations[`${NGX}auth-url`] = 'http://a/;}\naccess_by_lua_block { os.exit() }'),
      );
      return [{ object: m }, { object: bad, verb: 'patch' }];
    },
  },
  {
    name: 'a configuration-snippet with ordinary nginx syntax',
    rule: 'annotation-injection',
    fires: false,
    steps: () => [
      { object: manifest('ingress-nginx-examples/customization__configuration-snippets__ingress.yaml') },
    ],
  },
  {
    name: 'the docker-registry Ingress updated from its TLS to its plain version',
    rule: 'tls-removed',
    fires: true,
    path: '/spec/tls/0/hosts/0',
    steps: () => [
      { object: manifest('ingress-nginx-examples/docker-registry__ingress-with-tls.yaml') },
      {
        object: manifest('ingress-nginx-examples/docker-registry__ingress-without-tls.yaml'),
        verb: 'update',
      },
    ],
  },
  {
    name: 'a TLS secretName changed by a patch',
    rule: 'tls-removed',
    fires: true,
    path: '/spec/tls/0/secretName',
    steps: () => {
      const m = manifest('fixtures/shop-ingress.yaml');
      return [
        { object: m },
        { object: edited(m, (o) => (o.spec.tls[0].secretName = 'other')), verb: 'patch' },
      ];
    },
  },
  {
    name: 'an Ingress created without TLS (host-exposed, not tls-removed)',
    rule: 'tls-removed',
    fires: false,
    steps: () => [{ object: manifest('ingress-nginx-examples/docker-registry__ingress-without-tls.yaml') }],
  },
  {
    name: 'the website wildcard-host Ingress created',
    rule: 'host-exposed',
    fires: true,
    path: '/spec/rules/1/host',
    steps: () => [{ object: manifest('k8s-website-examples/ingress-wildcard-host.yaml') }],
  },
  {
    name: 'the website minimal Ingress (a rule without host) created',
    rule: 'host-exposed',
    fires: true,
    path: '/spec/rules/0',
    steps: () => [{ object: manifest('k8s-website-examples/minimal-ingress.yaml') }],
  },
  {
    name: 'an update that serves the same hosts',
    rule: 'host-exposed',
    fires: false,
    steps: () => {
      const m = manifest('k8s-website-examples/name-virtual-host-ingress.yaml');
      return [{ object: m }, { object: relabel(m), verb: 'update' }];
    },
  },
  {
    name: 'auth-url deleted from the external-auth Ingress',
    rule: 'auth-removed',
    fires: true,
    path: ann(`${NGX}auth-url`),
    steps: () => {
      const m = manifest('ingress-nginx-examples/auth__external-auth__ingress.yaml');
      return [
        { object: m },
        { object: edited(m, (o) => delete o.metadata.annotations[`${NGX}auth-url`]), verb: 'update' },
      ];
    },
  },
  {
    name: 'client certificate verification removed from the client-certs Ingress',
    rule: 'auth-removed',
    fires: true,
    path: ann(`${NGX}auth-tls-verify-client`),
    steps: () => {
      const m = manifest('ingress-nginx-examples/auth__client-certs__ingress.yaml');
      return [
        { object: m },
        {
          object: edited(m, (o) => delete o.metadata.annotations[`${NGX}auth-tls-verify-client`]),
          verb: 'patch',
        },
      ];
    },
  },
  {
    name: 'whitelist-source-range widened to 0.0.0.0/0',
    rule: 'auth-removed',
    fires: true,
    path: ann(`${NGX}whitelist-source-range`),
    steps: () => {
      const m = manifest('fixtures/shop-ingress.yaml');
      return [
        { object: m },
        {
          object: edited(m, (o) => (o.metadata.annotations[`${NGX}whitelist-source-range`] = '0.0.0.0/0')),
          verb: 'patch',
        },
      ];
    },
  },
  {
    name: 'whitelist-source-range narrowed',
    rule: 'auth-removed',
    fires: false,
    steps: () => {
      const m = manifest('fixtures/shop-ingress.yaml');
      return [
        { object: m },
        {
          object: edited(m, (o) => (o.metadata.annotations[`${NGX}whitelist-source-range`] = '10.1.0.0/16')),
          verb: 'patch',
        },
      ];
    },
  },
  {
    name: 'the website example Ingress re-pointed to another Service',
    rule: 'backend-changed',
    fires: true,
    path: '/spec/rules/0/http/paths/0/backend',
    steps: () => {
      const m = manifest('k8s-website-examples/example-ingress.yaml');
      return [
        { object: m },
        {
          object: edited(m, (o) => (o.spec.rules[0].http.paths[0].backend.service.name = 'evil')),
          verb: 'update',
        },
      ];
    },
  },
  {
    name: 'an Ingress whose default backend is a StorageBucket resource',
    rule: 'backend-changed',
    fires: true,
    path: '/spec/defaultBackend/resource',
    steps: () => [{ object: manifest('k8s-website-examples/ingress-resource-backend.yaml') }],
  },
  {
    name: 'the cross-namespace routing site route, backends in its own namespace',
    rule: 'backend-changed',
    fires: false,
    steps: () => [{ object: manifest('gateway-api-examples/cross-namespace-routing__site-route.yaml') }],
  },
  {
    name: 'the website default IngressClass created',
    rule: 'ingress-class-changed',
    fires: true,
    path: ann('ingressclass.kubernetes.io/is-default-class'),
    steps: () => [{ object: manifest('k8s-website-examples/default-ingressclass.yaml') }],
  },
  {
    name: 'spec.ingressClassName changed',
    rule: 'ingress-class-changed',
    fires: true,
    path: '/spec/ingressClassName',
    steps: () => {
      const m = manifest('ingress-nginx-examples/affinity__cookie__ingress.yaml');
      return [
        { object: m },
        { object: edited(m, (o) => (o.spec.ingressClassName = 'other')), verb: 'update' },
      ];
    },
  },
  {
    name: 'an IngressClass relabelled, still the default',
    rule: 'ingress-class-changed',
    fires: false,
    steps: () => {
      const m = manifest('k8s-website-examples/default-ingressclass.yaml');
      return [{ object: m }, { object: relabel(m), verb: 'update' }];
    },
  },
  {
    name: 'a change by system:anonymous',
    rule: 'unusual-actor',
    fires: true,
    steps: () => [
      {
        object: manifest('k8s-website-examples/minimal-ingress.yaml'),
        user: { username: 'system:anonymous' },
      },
    ],
  },
  {
    name: 'a change through impersonation',
    rule: 'unusual-actor',
    fires: true,
    steps: () => [
      {
        object: manifest('k8s-website-examples/minimal-ingress.yaml'),
        impersonatedUser: { username: 'system:serviceaccount:kube-system:admin' },
      },
    ],
  },
  {
    name: 'a user outside the configured allow-list',
    rule: 'unusual-actor',
    fires: true,
    config: () => parseRiskConfig('rules:\n  unusual-actor:\n    allowedUsers: [bob@example.com]\n'),
    steps: () => [{ object: manifest('k8s-website-examples/minimal-ingress.yaml') }],
  },
  {
    name: 'a listed user from an allowed source range',
    rule: 'unusual-actor',
    fires: false,
    config: () =>
      parseRiskConfig(
        'rules:\n  unusual-actor:\n    allowedUsers: [alice@example.com]\n    allowedSourceRanges: [10.0.0.0/8]\n',
      ),
    steps: () => [{ object: manifest('k8s-website-examples/minimal-ingress.yaml') }],
  },
  {
    name: 'an ordinary user, no impersonation, no allow-list configured',
    rule: 'unusual-actor',
    fires: false,
    steps: () => [{ object: manifest('k8s-website-examples/minimal-ingress.yaml') }],
  },
  {
    name: 'a person updates the minimal example without a reason (rule turned on)',
    rule: 'reason-missing',
    fires: true,
    config: () => parseRiskConfig('rules:\n  reason-missing:\n    enabled: true\n'),
    steps: () => [{ object: manifest('k8s-website-examples/minimal-ingress.yaml'), verb: 'update' }],
  },
  {
    name: 'a person states a reason (rule turned on)',
    rule: 'reason-missing',
    fires: false,
    config: () => parseRiskConfig('rules:\n  reason-missing:\n    enabled: true\n'),
    steps: () => [
      {
        object: manifest('k8s-website-examples/minimal-ingress.yaml'),
        verb: 'update',
        reason: 'CHG-1: new path',
      },
    ],
  },
  {
    name: 'a service account updates without a reason (rule turned on)',
    rule: 'reason-missing',
    fires: false,
    config: () => parseRiskConfig('rules:\n  reason-missing:\n    enabled: true\n'),
    steps: () => [
      {
        object: manifest('k8s-website-examples/minimal-ingress.yaml'),
        verb: 'update',
        user: {
          username: 'system:serviceaccount:argocd:argocd-application-controller',
          groups: ['system:serviceaccounts'],
        },
      },
    ],
  },
  {
    name: 'a member of an exempt group updates without a reason',
    rule: 'reason-missing',
    fires: false,
    config: () =>
      parseRiskConfig('rules:\n  reason-missing:\n    enabled: true\n    exemptGroups: [break-glass]\n'),
    steps: () => [
      {
        object: manifest('k8s-website-examples/minimal-ingress.yaml'),
        verb: 'update',
        user: { username: 'oncall@example.com', groups: ['break-glass'] },
      },
    ],
  },
  {
    name: 'a person updates without a reason while the rule is off (the default)',
    rule: 'reason-missing',
    fires: false,
    // The defaults, stated: the pipeline test runs only cases without a config, and this rule has
    // no positive case there.
    config: () => parseRiskConfig(''),
    steps: () => [{ object: manifest('k8s-website-examples/minimal-ingress.yaml'), verb: 'update' }],
  },
  {
    name: 'a 403 on an update of the tls example',
    rule: 'denied-attempt',
    fires: true,
    steps: () => [
      {
        object: manifest('k8s-website-examples/tls-example-ingress.yaml'),
        verb: 'update',
        responseCode: 403,
      },
    ],
  },
  {
    name: 'a successful update of the tls example',
    rule: 'denied-attempt',
    fires: false,
    steps: () => [{ object: manifest('k8s-website-examples/tls-example-ingress.yaml'), verb: 'update' }],
  },
  {
    name: 'the attachment Gateway opened to routes from All namespaces',
    rule: 'gateway-exposure',
    fires: true,
    path: '/spec/listeners/0/allowedRoutes/namespaces/from',
    steps: () => {
      const m = manifest('gateway-api-examples/http-route-attachment__gateway-namespaces.yaml');
      const open = edited(m, (o) => (o.spec.listeners[0].allowedRoutes.namespaces = { from: 'All' }));
      return [{ object: m }, { object: open, verb: 'patch' }];
    },
  },
  {
    name: 'the site route attached to the shared Gateway in infra-ns',
    rule: 'gateway-exposure',
    fires: true,
    path: '/spec/parentRefs/0/namespace',
    steps: () => [{ object: manifest('gateway-api-examples/cross-namespace-routing__site-route.yaml') }],
  },
  {
    name: 'a redirect to a host outside the route',
    rule: 'gateway-exposure',
    fires: true,
    path: '/spec/rules/0/filters/0/requestRedirect/hostname',
    steps: () => {
      const m = manifest('gateway-api-examples/http-redirect-rewrite__httproute-redirect-https.yaml');
      const r = edited(
        m,
        (o) =>
          (o.spec.rules[0].filters = [
            { type: 'RequestRedirect', requestRedirect: { hostname: 'evil.example.net' } },
          ]),
      );
      return [{ object: m }, { object: r, verb: 'update' }];
    },
  },
  {
    name: 'the mirroring route, mirror inside its namespace',
    rule: 'gateway-exposure',
    fires: false,
    steps: () => [
      { object: manifest('gateway-api-examples/http-request-mirroring__httproute-mirroring.yaml') },
    ],
  },
];

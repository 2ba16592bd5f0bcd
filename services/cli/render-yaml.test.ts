// Objects as YAML and changes as unified YAML diffs, checked against golden files in
// services/cli/testdata/golden (regenerate with UPDATE_GOLDEN=1 after a deliberate change).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../test/support/shared.js';
import { objectYaml, storedObject, yamlDiff } from './render-yaml.js';
import { sampleChange } from './testing/memory-log.js';

const GOLDEN = join(REPO_ROOT, 'services', 'cli', 'testdata', 'golden');

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `differs from ${file}`);
}

const v1 = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'web',
    namespace: 'shop',
    resourceVersion: '1009',
    annotations: { 'kubernetes.io/change-cause': 'release 9' },
  },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
    rules: [
      {
        host: 'web.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
          ],
        },
      },
    ],
  },
};
const v2 = {
  ...v1,
  metadata: {
    ...v1.metadata,
    resourceVersion: '1016',
    annotations: {
      'kubernetes.io/change-cause': 'release 10',
      'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X-Debug: 1";',
    },
  },
  spec: { ingressClassName: 'nginx', rules: v1.spec.rules },
};
const labels = { from: 'ingresses/shop/web (before #16)', to: 'ingresses/shop/web (#16)' };

describe('YAML diffs', () => {
  for (const colour of [false, true]) {
    const suffix = colour ? 'colour' : 'plain';
    it(`shows a create as all + lines (${suffix})`, () => {
      golden(`create-${suffix}.diff`, yamlDiff(undefined, v1, labels, colour));
    });
    it(`shows an update as a unified diff with context (${suffix})`, () => {
      golden(`update-${suffix}.diff`, yamlDiff(v1, v2, labels, colour));
    });
    it(`shows a delete as all - lines (${suffix})`, () => {
      golden(`delete-${suffix}.diff`, yamlDiff(v2, undefined, labels, colour));
    });
  }

  it('is empty when nothing changed', () => {
    assert.equal(yamlDiff(v1, structuredClone(v1), labels, false), '');
  });

  it('writes no escape codes without colour', () => {
    assert.doesNotMatch(yamlDiff(v1, v2, labels, false), /\u001b/);
  });

  it('quotes what YAML would misread, so the text round-trips', () => {
    const tricky = { a: 'yes', b: '010', c: 'null', d: 'line\nbreak', e: '- x', f: '#x', g: '', h: '1e3' };
    assert.deepEqual(parse(objectYaml(tricky)), tricky);
  });
});

describe('storedObject', () => {
  it('is the response of a successful write', () => {
    const c = sampleChange(3);
    assert.deepEqual(storedObject(c), c.response);
  });

  it('is nothing after a delete or a refused request', () => {
    assert.equal(storedObject({ ...sampleChange(3), action: 'delete', verb: 'delete' }), undefined);
    assert.equal(storedObject({ ...sampleChange(3), responseCode: 403 }), undefined);
  });

  it('is not a patch body when there is no stored object', () => {
    assert.equal(storedObject({ ...sampleChange(1), response: null }), undefined);
  });

  it('resolves a body kept outside the leaf', () => {
    const ref = { sha256: 'ab'.repeat(32), size: 10 };
    const body = { kind: 'Ingress', metadata: { name: 'big' } };
    assert.deepEqual(
      storedObject({ ...sampleChange(3), response: ref }, new Map([[ref.sha256, body]])),
      body,
    );
  });
});

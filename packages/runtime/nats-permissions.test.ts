// The permissions `up` grants are the ones deploy/kubernetes grants: one list of what each role
// needs, so that a change to the streams or the ledger's use of them cannot leave one behind.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../test/support/shared.js';
import { collectorPermissions, ledgerPermissions, notifyPermissions } from './index.js';

const AUTH_CONF = join(REPO_ROOT, 'deploy', 'kubernetes', 'base', 'nats', 'auth.conf');

/** The publish and subscribe allow lists of `NAME = { … }` in a nats-server configuration. */
function allowLists(conf: string, name: string): { publish: string[]; subscribe: string[] } {
  const start = conf.indexOf(`\n${name} = {`);
  assert.ok(start >= 0, `${name} in ${AUTH_CONF}`);
  const block = conf.slice(start, conf.indexOf('\n}', start));
  const strings = (text: string) => [...text.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
  const at = block.indexOf('subscribe:');
  return { publish: strings(block.slice(0, at)), subscribe: strings(block.slice(at)) };
}

const sorted = (xs: string[]) => [...xs].sort();

describe('NATS permissions', () => {
  const conf = readFileSync(AUTH_CONF, 'utf8');

  it("are deploy/kubernetes's for the ledger", () => {
    const k8s = allowLists(conf, 'LEDGER');
    const ours = ledgerPermissions('_INBOX_LEDGER');
    assert.deepEqual(sorted(ours.publish), sorted(k8s.publish));
    assert.deepEqual(ours.subscribe, k8s.subscribe);
  });

  it("are deploy/kubernetes's for a collector", () => {
    const k8s = allowLists(conf, 'COLLECTOR_CLUSTER_A');
    const ours = collectorPermissions('cluster-a', '_INBOX_COLLECTOR_CLUSTER_A');
    assert.deepEqual(sorted(ours.publish), sorted(k8s.publish));
    assert.deepEqual(ours.subscribe, k8s.subscribe);
  });

  it("are deploy/kubernetes's for the notify service", () => {
    const k8s = allowLists(conf, 'NOTIFY');
    const ours = notifyPermissions('_INBOX_NOTIFY');
    assert.deepEqual(sorted(ours.publish), sorted(k8s.publish));
    assert.deepEqual(ours.subscribe, k8s.subscribe);
  });
});

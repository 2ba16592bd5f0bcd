// The alerts of one entry: one per finding, ids numbered when a rule repeats, the checkpoint named,
// and a change read back from the log with odd shapes still gives alerts that readers accept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change } from '../../packages/change/index.js';
import { decodeAlert, encodeAlert } from '../../packages/runtime/index.js';
import { makeChange } from '../../test/ledger-fixtures.js';
import { alertsOfEntry, consoleLink } from './alert-build.js';
import type { PublishedCheckpoint } from './checkpointer.js';

const cp: PublishedCheckpoint = {
  note: 'o\n8\nAAAA\n\n— o x\n',
  origin: 'o',
  size: 8n,
  rootHash: new Uint8Array(32).fill(1),
};
const finding = (rule: string) => ({ rule, severity: 'high', message: `${rule} fired`, path: '' });

describe('the alerts of an entry', () => {
  it('are one per finding, with numbered ids for a repeated rule and the checkpoint that covers it', () => {
    const c = makeChange('prod', 'aud-1');
    const alerts = alertsOfEntry(
      7n,
      c,
      [finding('tls-removed'), finding('host-exposed'), finding('tls-removed')],
      cp,
    );
    assert.deepEqual(
      alerts.map((a) => a.id),
      ['prod/aud-1/tls-removed', 'prod/aud-1/host-exposed', 'prod/aud-1/tls-removed/1'],
    );
    assert.equal(alerts[0]?.checkpoint.rootHash, Buffer.alloc(32, 1).toString('base64'));
    assert.equal(alerts[0]?.checkpoint.size, 8n);
    for (const a of alerts) assert.deepEqual(decodeAlert(encodeAlert(a)), a);
  });

  it('link to the console page of the object, escaped', () => {
    const c = makeChange('prod', 'aud-2');
    c.object.namespace = 'a&b';
    assert.equal(
      consoleLink('https://console.example/ui/', c),
      `https://console.example/ui/?object=a%26b%2F${c.object.name}&cluster=prod`,
    );
  });

  it('are still readable alerts when the stored change has odd shapes', () => {
    const odd = {
      ...makeChange('prod', 'aud-3'),
      object: { name: 7 },
      user: null,
      impersonatedUser: { username: 5 },
      sourceIPs: 'not a list',
      responseCode: 'x',
      reason: 12,
    } as unknown as Change;
    const [a] = alertsOfEntry(3n, odd, [{ ...finding('unusual-actor'), severity: 'bogus' }], cp);
    assert.ok(a);
    assert.equal(a.severity, 'medium');
    assert.equal(a.user, '');
    assert.equal(a.object.name, '');
    assert.deepEqual(a.sourceIPs, []);
    assert.deepEqual(decodeAlert(encodeAlert(a)), a);
  });
});

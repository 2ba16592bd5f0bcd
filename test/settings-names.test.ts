// The services share one set of names for the same settings (flags, INGRESS_LEDGER_* variables and
// YAML keys come from the same tables; notify's included), and secrets are only ever named by files. A setting that two
// services take under different names, or a secret passed as a value, fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { NATS_SETTINGS, type SettingSpec } from '../packages/runtime/index.js';
import { COLLECTOR_SETTINGS } from '../services/collector/index.js';
import { LEDGER_SETTINGS } from '../services/ledger/index.js';
import { NOTIFY_SETTINGS } from '../services/notify/index.js';
import { WITNESS_SETTINGS } from '../services/witness/index.js';

const TABLES: Record<string, readonly SettingSpec[]> = {
  ledger: LEDGER_SETTINGS,
  collector: COLLECTOR_SETTINGS,
  witness: WITNESS_SETTINGS,
  notify: NOTIFY_SETTINGS,
};

describe('the services settings', () => {
  it('take the one NATS group, whole, in the ledger and the collector', () => {
    for (const service of ['ledger', 'collector', 'notify']) {
      for (const spec of NATS_SETTINGS) {
        assert.ok(TABLES[service]?.includes(spec), `${service} lacks --${spec.name} from the NATS group`);
      }
      const natsNames = TABLES[service]?.filter((s) => s.name.startsWith('nats-')).map((s) => s.name);
      assert.deepEqual(
        natsNames,
        NATS_SETTINGS.map((s) => s.name),
        `${service} has a NATS setting outside the group`,
      );
    }
  });

  it('give a setting that several services take the same kind of argument', () => {
    const seen = new Map<string, { service: string; arg: string | undefined }>();
    for (const [service, table] of Object.entries(TABLES)) {
      for (const spec of table) {
        const first = seen.get(spec.name);
        if (first === undefined) seen.set(spec.name, { service, arg: spec.arg });
        else assert.equal(spec.arg, first.arg, `--${spec.name}: ${first.service} and ${service} differ`);
      }
    }
  });

  it('name each setting once per service, in kebab-case', () => {
    for (const [service, table] of Object.entries(TABLES)) {
      const names = table.map((s) => s.name);
      assert.equal(new Set(names).size, names.length, `${service} repeats a setting`);
      for (const n of names) assert.match(n, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, `${service}: --${n}`);
    }
  });

  it('take secrets only as files', () => {
    for (const [service, table] of Object.entries(TABLES)) {
      for (const { name } of table) {
        if (/password|token|secret|seed|nkey|creds/.test(name)) {
          assert.match(name, /-file$/, `${service}: --${name} would put a secret in a flag or variable`);
        }
      }
    }
  });

  it('use the same names for TLS on every served listener', () => {
    for (const service of ['ledger', 'collector']) {
      const names = new Set(TABLES[service]?.map((s) => s.name));
      for (const n of ['tls-cert-file', 'tls-key-file', 'tls-client-ca-file', 'metrics-listen']) {
        assert.ok(names.has(n), `${service} lacks --${n}`);
      }
    }
  });
});

describe('docs/configuration.md', () => {
  it('lists every setting of every service', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const [service, table] of Object.entries(TABLES)) {
      for (const { name } of table)
        assert.ok(doc.includes(`\`--${name}\``), `${service}: --${name} is not documented`);
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeKeyFiles } from '../../packages/runtime/index.js';
import { generateKey } from '../../packages/tlog/index.js';
import { witnessConfig } from './command.js';

describe('witness settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'il-witness-cmd-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const key = generateKey('witness.test/w');
  writeKeyFiles(join(dir, 'w'), key.skey, key.vkey);
  const log = generateKey('log.test/l').vkey;

  it('binds loopback when the host is left out', () => {
    const c = witnessConfig({
      'data-dir': dir,
      listen: ':7380',
      'metrics-listen': ':9464',
      key: join(dir, 'w.key'),
      log,
    });
    assert.equal(c.listen, '127.0.0.1:7380');
    assert.equal(c.metricsListen, '127.0.0.1:9464');
  });
});

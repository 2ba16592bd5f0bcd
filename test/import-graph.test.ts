// The import boundaries hold on the real tree, and the check finds each kind of violation when one
// is planted.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { importViolations, isTestCode, misplacedTestSupport } from './support/import-graph.js';

const root = new URL('../..', import.meta.url).pathname; // from dist/test/

function sources(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules' || name === 'gen') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) files.set(relative(root, path), readFileSync(path, 'utf8'));
    }
  };
  for (const top of ['packages', 'services', 'test', 'loadtest']) walk(join(root, top));
  return files;
}

describe('import boundaries', () => {
  it('hold on the repository', () => {
    const files = sources();
    assert.ok(files.size > 200, `read ${files.size} sources`);
    const found = importViolations(files).map((v) => `${v.rule}: ${v.from} -> ${v.to}`);
    assert.deepEqual(found, []);
  });

  it('name test code by where it lives', () => {
    for (const p of [
      'test/up.test.ts',
      'loadtest/ledger-drain.ts',
      'packages/tlog/testing.ts',
      'packages/risk/testing/changes.ts',
      'packages/rpc/testing.ts',
      'services/collector/testing.ts',
      'services/cli/testing/memory-log.ts',
      'services/ledger/api.test.ts',
    ]) {
      assert.equal(isTestCode(p), true, p);
    }
    for (const p of [
      'packages/tlog/merkle.ts',
      'services/ledger/ledger.ts',
      'services/cli/commands/verify.ts',
    ]) {
      assert.equal(isTestCode(p), false, p);
    }
  });

  const planted: [string, string, string, RegExp][] = [
    [
      'a package importing a service',
      'packages/tlog/bad.ts',
      "import { startLedger } from '../../services/ledger/index.js';",
      /a package imports a service/,
    ],
    [
      'a service importing another',
      'services/collector/bad.ts',
      "import { ledgerConfig } from '../ledger/index.js';",
      /a service imports another service/,
    ],
    [
      "an import past a package's index.ts",
      'services/ledger/bad.ts',
      "import { CompactRange } from '../../packages/tlog/merkle.js';",
      /past a package's index\.ts/,
    ],
    [
      'production code importing test support',
      'services/ledger/bad.ts',
      "import { changeOf } from '../../packages/risk/testing/index.js';",
      /production code imports/,
    ],
    [
      'production code importing a test helper beside it',
      'services/witness/bad.ts',
      "import { StreamReader } from './testing.js';",
      /production code imports test code/,
    ],
    [
      'a dynamic import past an index',
      'services/cli/bad.ts',
      "const m = await import('../../packages/change/make-leaf.js');",
      /past a package's index\.ts/,
    ],
  ];
  for (const [name, path, text, rule] of planted) {
    it(`finds ${name}`, () => {
      const found = importViolations(new Map([[path, text]]));
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.match(found[0]?.rule ?? '', rule);
    });
  }

  it('finds test support in one place per package and service', () => {
    const misplaced = misplacedTestSupport(sources().keys());
    assert.deepEqual(misplaced, []);
    assert.deepEqual(
      misplacedTestSupport([
        'services/witness/test-log.ts',
        'services/collector/test-support.ts',
        'services/ledger/search/testing/index.ts',
        'packages/tlog/merkle/testing.ts',
        'packages/tlog/testing.ts',
        'packages/risk/testing/changes.ts',
        'services/cli/testing/memory-log.ts',
        'test/support/nats-server.ts',
      ]),
      [
        'services/witness/test-log.ts',
        'services/collector/test-support.ts',
        'services/ledger/search/testing/index.ts',
        'packages/tlog/merkle/testing.ts',
      ],
    );
  });

  it("lets up start the services through their index.ts, and test code use a package's testing face", () => {
    const files = new Map([
      ['services/cli/up/services.ts', "const l = await import('../../ledger/index.js');"],
      ['test/x.test.ts', "import { changeOf } from '../packages/risk/testing/index.js';"],
      ['loadtest/x.ts', "import { nodeCrypto } from '../packages/tlog/testing.js';"],
      ['packages/risk/rules.test.ts', "import { x } from './evaluate.js';"],
    ]);
    assert.deepEqual(importViolations(files), []);
  });
});

// scripts/setup.mjs decides from what it sees whether to run `npm ci` and whether to install
// nats-server; these are those decisions, case by case, without installing anything.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

type Plan = { action: string; reason: string };
interface SetupPlan {
  STAMP_FILE: string;
  stampOf(lockText: string, nodeAbi: string): string;
  nodeProblem(version: string): string | undefined;
  installedMatchesLock(lock: unknown, hidden: unknown): boolean;
  modulesPlan(seen: {
    nodeModules: 'missing' | 'link' | 'dir';
    stamp: string | undefined;
    wantStamp: string;
    lock: unknown;
    hidden: unknown;
  }): Plan;
  natsPlan(seen: { onPath: boolean; isRoot: boolean; hasAptGet: boolean }): Plan;
}

// The script is plain JavaScript outside the TypeScript build; tests run from dist/test.
const plan = (await import(new URL('../../scripts/setup-plan.mjs', import.meta.url).href)) as SetupPlan;

const LOCK = {
  lockfileVersion: 3,
  packages: {
    '': { name: 'ingress-ledger', version: '0.1.0' },
    'node_modules/yaml': { version: '2.9.1' },
    'node_modules/@biomejs/cli-darwin-arm64': { version: '2.6.8', dev: true, optional: true },
  },
};
const HIDDEN = { lockfileVersion: 3, packages: { 'node_modules/yaml': { version: '2.9.1' } } };
const STAMP = plan.stampOf(JSON.stringify(LOCK), '115');

describe('setup: node_modules', () => {
  const cases: [string, Parameters<SetupPlan['modulesPlan']>[0], string][] = [
    [
      'installs when node_modules is missing',
      { nodeModules: 'missing', stamp: undefined, wantStamp: STAMP, lock: LOCK, hidden: undefined },
      'install',
    ],
    [
      'never installs into a linked node_modules (another checkout owns it)',
      { nodeModules: 'link', stamp: undefined, wantStamp: STAMP, lock: LOCK, hidden: undefined },
      'keep',
    ],
    [
      'keeps node_modules when the stamp matches',
      { nodeModules: 'dir', stamp: STAMP, wantStamp: STAMP, lock: LOCK, hidden: undefined },
      'keep',
    ],
    [
      'installs when package-lock.json changed since the stamp',
      {
        nodeModules: 'dir',
        stamp: plan.stampOf('{}', '115'),
        wantStamp: STAMP,
        lock: LOCK,
        hidden: HIDDEN,
      },
      'install',
    ],
    [
      'installs when the Node ABI changed (native modules must be rebuilt)',
      {
        nodeModules: 'dir',
        stamp: plan.stampOf(JSON.stringify(LOCK), '108'),
        wantStamp: STAMP,
        lock: LOCK,
        hidden: HIDDEN,
      },
      'install',
    ],
    [
      'installs over a stamp it cannot read',
      { nodeModules: 'dir', stamp: 'garbage', wantStamp: STAMP, lock: LOCK, hidden: HIDDEN },
      'install',
    ],
    [
      'adopts an unstamped node_modules that matches the lock',
      { nodeModules: 'dir', stamp: undefined, wantStamp: STAMP, lock: LOCK, hidden: HIDDEN },
      'adopt',
    ],
    [
      'installs over an unstamped node_modules without npm’s hidden lockfile',
      { nodeModules: 'dir', stamp: undefined, wantStamp: STAMP, lock: LOCK, hidden: undefined },
      'install',
    ],
  ];
  for (const [name, seen, action] of cases) {
    it(name, () => assert.equal(plan.modulesPlan(seen).action, action));
  }

  it('says why it installs', () => {
    const r = plan.modulesPlan({
      nodeModules: 'dir',
      stamp: plan.stampOf(JSON.stringify(LOCK), '108'),
      wantStamp: STAMP,
      lock: LOCK,
      hidden: HIDDEN,
    });
    assert.match(r.reason, /ABI changed \(108 -> 115\)/);
  });
});

describe('setup: installed packages against the lock', () => {
  const packages = (extra: Record<string, unknown>) => ({ packages: { ...HIDDEN.packages, ...extra } });
  it('accepts an absent optional package', () => assert.equal(plan.installedMatchesLock(LOCK, HIDDEN), true));
  it('refuses a different version', () =>
    assert.equal(
      plan.installedMatchesLock(LOCK, packages({ 'node_modules/yaml': { version: '2.8.0' } })),
      false,
    ));
  it('refuses a package the lock does not name', () =>
    assert.equal(
      plan.installedMatchesLock(LOCK, packages({ 'node_modules/left-pad': { version: '1.0.0' } })),
      false,
    ));
  it('refuses a missing required package', () =>
    assert.equal(plan.installedMatchesLock(LOCK, { packages: {} }), false));
  it('refuses input that is not a lockfile', () => {
    for (const bad of [undefined, null, 'text', { packages: 3 }]) {
      assert.equal(plan.installedMatchesLock(LOCK, bad), false);
      assert.equal(plan.installedMatchesLock(bad, HIDDEN), false);
    }
  });
});

describe('setup: nats-server', () => {
  const cases: [string, Parameters<SetupPlan['natsPlan']>[0], string][] = [
    ['keeps one on PATH', { onPath: true, isRoot: false, hasAptGet: false }, 'keep'],
    ['installs with apt-get as root', { onPath: false, isRoot: true, hasAptGet: true }, 'apt'],
    ['fails with instructions when not root', { onPath: false, isRoot: false, hasAptGet: true }, 'fail'],
    ['fails with instructions without apt-get', { onPath: false, isRoot: true, hasAptGet: false }, 'fail'],
  ];
  for (const [name, seen, action] of cases) {
    it(name, () => assert.equal(plan.natsPlan(seen).action, action));
  }
});

describe('setup: Node version', () => {
  for (const [version, ok] of [
    ['20.19.0', true],
    ['20.20.2', true],
    ['22.0.0', true],
    ['20.18.3', false],
    ['18.20.0', false],
  ] as const) {
    it(`${version} is ${ok ? 'enough' : 'too old'}`, () =>
      assert.equal(plan.nodeProblem(version) === undefined, ok));
  }
});

#!/usr/bin/env node
// Readies a checkout for `npm start` and `npm test`: installs the npm packages when node_modules is
// missing or stale, and nats-server when it is missing and apt-get may be used. Plain Node, no
// dependencies: it runs before node_modules exists. Exit 2 when something must be done by hand.
// Usage: node scripts/setup.mjs [--dry-run]   (--dry-run: say what would be done, do nothing)
import { spawnSync } from 'node:child_process';
import { accessSync, constants, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { modulesPlan, NATS_INSTRUCTIONS, natsPlan, nodeProblem, STAMP_FILE, stampOf } from './setup-plan.mjs';

const root = new URL('..', import.meta.url).pathname;
const dryRun = process.argv.includes('--dry-run');
const say = (text) => process.stderr.write(`setup: ${text}\n`);

function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readJson(path) {
  const text = readText(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function onPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

function run(command, args, env = process.env) {
  say(`running ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status !== 0) {
    say(`${command} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
    process.exit(2);
  }
}

function nodeModulesKind(path) {
  try {
    return lstatSync(path).isSymbolicLink() ? 'link' : 'dir';
  } catch {
    return 'missing';
  }
}

const tooOld = nodeProblem(process.versions.node);
if (tooOld !== undefined) {
  say(tooOld);
  process.exit(2);
}

const modulesDir = join(root, 'node_modules');
const lockPath = join(root, 'package-lock.json');
const lockText = readText(lockPath);
if (lockText === undefined) {
  say('package-lock.json is missing; this is not a complete checkout');
  process.exit(2);
}
const wantStamp = stampOf(lockText, process.versions.modules);
const modules = modulesPlan({
  nodeModules: nodeModulesKind(modulesDir),
  stamp: readText(join(modulesDir, STAMP_FILE)),
  wantStamp,
  lock: readJson(lockPath),
  hidden: readJson(join(modulesDir, '.package-lock.json')),
});
if (modules.action === 'install') {
  say(`${modules.reason}: ${dryRun ? 'would run' : 'running'} npm ci`);
  if (!dryRun) {
    run('npm', ['ci', '--no-audit', '--no-fund']);
    writeFileSync(join(modulesDir, STAMP_FILE), wantStamp);
  }
} else if (modules.action === 'adopt') {
  if (!dryRun) writeFileSync(join(modulesDir, STAMP_FILE), wantStamp);
} else if (dryRun) {
  say(modules.reason);
}

const nats = natsPlan({
  onPath: onPath('nats-server'),
  isRoot: process.getuid?.() === 0,
  hasAptGet: onPath('apt-get'),
});
if (nats.action === 'fail') {
  say(nats.reason);
  process.stderr.write(`${NATS_INSTRUCTIONS}\n`);
  process.exit(2);
}
if (nats.action === 'apt') {
  say(`${nats.reason}${dryRun ? ' (dry run: not installing)' : ''}`);
  if (!dryRun) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], env);
    run('apt-get', ['install', '-y', '-qq', 'nats-server'], env);
    if (!onPath('nats-server')) {
      say('apt-get installed nats-server but it is not on PATH');
      process.stderr.write(`${NATS_INSTRUCTIONS}\n`);
      process.exit(2);
    }
  }
} else if (dryRun) {
  say(nats.reason);
}

// The decisions of scripts/setup.mjs as pure functions of what it observed, so a test can cover every
// case without installing anything. Plain Node and no dependencies: this runs before node_modules exists.
import { createHash } from 'node:crypto';

/** The oldest Node the project supports (package.json engines). */
export const MIN_NODE = [20, 19];

/** Where setup records which package-lock.json (and Node ABI) node_modules was installed from. */
export const STAMP_FILE = '.ingress-ledger-lock-hash';

/** The stamp text for a package-lock.json and the running Node's module ABI. */
export function stampOf(lockText, nodeAbi) {
  const sha256 = createHash('sha256').update(lockText).digest('hex');
  return `${JSON.stringify({ lockSha256: sha256, nodeAbi: String(nodeAbi) })}\n`;
}

/** Whether the running Node (process.versions.node) is new enough; the reason when it is not. */
export function nodeProblem(version) {
  const [major = 0, minor = 0] = String(version).split('.').map(Number);
  const [wantMajor, wantMinor] = MIN_NODE;
  if (major > wantMajor || (major === wantMajor && minor >= wantMinor)) return undefined;
  return `Node.js ${version} is too old: ingress-ledger needs ${wantMajor}.${wantMinor} or later`;
}

/**
 * Whether the packages npm installed (node_modules/.package-lock.json, npm's hidden lockfile) are the
 * ones package-lock.json asks for: every package that is not optional is there at the same version,
 * and nothing is there at a version the lock does not name. Optional packages (platform builds) may
 * be absent.
 */
export function installedMatchesLock(lock, hidden) {
  const want = lock?.packages;
  const have = hidden?.packages;
  if (typeof want !== 'object' || want === null || typeof have !== 'object' || have === null) return false;
  for (const [path, entry] of Object.entries(want)) {
    if (path === '' || entry?.link === true) continue;
    const got = have[path];
    if (got === undefined) {
      if (entry?.optional === true || entry?.devOptional === true) continue;
      return false;
    }
    if (got.version !== entry?.version) return false;
  }
  for (const path of Object.keys(have)) if (want[path] === undefined) return false;
  return true;
}

/**
 * What to do about node_modules. Observed facts:
 *   nodeModules: 'missing' | 'link' | 'dir'
 *   stamp: the stamp file's text, or undefined
 *   wantStamp: stampOf(package-lock.json, ABI)
 *   lock, hidden: parsed package-lock.json and node_modules/.package-lock.json (undefined if absent)
 * Returns { action: 'install' | 'keep' | 'adopt', reason } where 'adopt' means "it matches: write
 * the stamp so the next run is a string compare".
 */
export function modulesPlan({ nodeModules, stamp, wantStamp, lock, hidden }) {
  if (nodeModules === 'missing') return { action: 'install', reason: 'node_modules is missing' };
  // A linked node_modules belongs to another checkout; `npm ci` here would rebuild that one.
  if (nodeModules === 'link') return { action: 'keep', reason: 'node_modules is a link; managed elsewhere' };
  if (stamp === wantStamp) return { action: 'keep', reason: 'node_modules matches package-lock.json' };
  if (stamp !== undefined) {
    const was = parseStamp(stamp);
    const now = parseStamp(wantStamp);
    if (was !== undefined && now !== undefined && was.lockSha256 === now.lockSha256) {
      return { action: 'install', reason: `Node's module ABI changed (${was.nodeAbi} -> ${now.nodeAbi})` };
    }
    return { action: 'install', reason: 'package-lock.json changed since the last install' };
  }
  if (installedMatchesLock(lock, hidden)) {
    return { action: 'adopt', reason: 'node_modules matches package-lock.json' };
  }
  return { action: 'install', reason: 'node_modules does not match package-lock.json' };
}

function parseStamp(text) {
  try {
    const v = JSON.parse(text);
    return typeof v?.lockSha256 === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** How to get nats-server: { action: 'keep' | 'apt' | 'fail', reason }. */
export function natsPlan({ onPath, isRoot, hasAptGet }) {
  if (onPath) return { action: 'keep', reason: 'nats-server is on PATH' };
  if (isRoot && hasAptGet)
    return { action: 'apt', reason: 'nats-server is missing; installing it with apt-get' };
  return { action: 'fail', reason: 'nats-server is not on PATH' };
}

/** What to tell someone who has to install nats-server themselves. */
export const NATS_INSTRUCTIONS = [
  'ingress-ledger needs nats-server (with JetStream) on PATH. Install it, then run the command again:',
  '  Debian/Ubuntu:  sudo apt-get install -y nats-server',
  '  macOS:          brew install nats-server',
  '  anywhere else:  a release binary from https://github.com/nats-io/nats-server/releases',
].join('\n');

// What `up` keeps in its data dir across runs: keys (generated on the first run, mode 0600), the
// webhook token, the policy it verifies checkpoints with, and endpoints.json while it runs.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSkeyFile, writeKeyFiles } from '../../../packages/runtime/index.js';
import { cosignatureVkey, generateKey, type PrivateKey } from '../../../packages/tlog/index.js';
import { CliError } from '../errors.js';

export interface UpKeys {
  log: PrivateKey;
  witness: PrivateKey;
  collector: PrivateKey;
  /** The witness's cosignature/v1 vkey (type 0x04). */
  witnessVkey: string;
}

/**
 * Reads PREFIX.key, or generates it (and PREFIX.vkey) on the first run. A name that was only a
 * default (derived from the host name, which may change between runs) yields to the stored key's.
 */
function keyFile(prefix: string, name: string, witness = false, explicit = true): PrivateKey {
  if (existsSync(`${prefix}.key`)) {
    let key: PrivateKey;
    try {
      key = readSkeyFile(`${prefix}.key`);
    } catch (err) {
      throw new CliError('CONFIG', `${prefix}.key: ${(err as Error).message}`);
    }
    if (key.name !== name && explicit) {
      throw new CliError(
        'CONFIG',
        `${prefix}.key is a key for "${key.name}", not "${name}" (another --origin or --cluster?)`,
      );
    }
    return key;
  }
  const key = generateKey(name);
  writeKeyFiles(prefix, key.skey, witness ? cosignatureVkey(key) : key.vkey);
  return key;
}

export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CliError(
      'CONFIG',
      `--data-dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? 'cannot create'}`,
    );
  }
}

export function loadOrCreateKeys(
  dir: string,
  origin: string,
  witnessName: string,
  cluster: string,
  originExplicit = true,
): UpKeys {
  const keys = join(dir, 'keys');
  const log = keyFile(join(keys, 'log'), origin, false, originExplicit);
  const witness = keyFile(join(keys, 'witness'), witnessName, true, false);
  const collector = keyFile(join(keys, 'collector'), `collector/${cluster}`);
  return { log, witness, collector, witnessVkey: cosignatureVkey(witness) };
}

/** The webhook's bearer token: random on the first run, kept (mode 0600) afterwards. */
export function loadOrCreateToken(dir: string): string {
  const path = join(dir, 'webhook-token');
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length >= 16) return token;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/** The local policy: this log, and the one local witness, whose cosignature is required. */
export function writePolicy(
  dir: string,
  logVkey: string,
  witnessLabel: string,
  witnessVkey: string,
  witnessUrl: string,
) {
  const path = join(dir, 'policy');
  const text =
    '# tlog-policy written by `ingress-ledger up`: the local log and the witness it requires.\n' +
    `log ${logVkey}\n` +
    `witness ${witnessLabel} ${witnessVkey} ${witnessUrl}\n` +
    `quorum ${witnessLabel}\n`;
  writeFileSync(path, text);
  return { path, text };
}

export interface Endpoints {
  grpc: string;
  /** Base URL of the static tlog-tiles read path (DESIGN 10). */
  tiles: string;
  /** URL of the read-only web console (DESIGN 12), on the same listener as the tiles. */
  console: string;
  webhook: string;
  webhookToken: string;
  witness: string;
  nats: string;
  /** The ledger's Prometheus endpoint, with --metrics-port. */
  metrics?: string;
  /** Seed of a NATS user that may read ledger.checkpoints and ledger.alerts.> (up's own server only). */
  natsReaderNkeyFile?: string;
  origin: string;
  logVkey: string;
  witnessVkeys: string[];
  collectorVkeys: string[];
  policy: string;
  dataDir: string;
  pid: number;
}

export const endpointsPath = (dir: string) => join(dir, 'endpoints.json');

/** Written last, atomically: its presence means everything is ready. */
export function writeEndpoints(dir: string, e: Endpoints): void {
  const tmp = `${endpointsPath(dir)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(e, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, endpointsPath(dir));
}

export function removeEndpoints(dir: string): void {
  rmSync(endpointsPath(dir), { force: true });
}

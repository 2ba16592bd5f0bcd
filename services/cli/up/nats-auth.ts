// `up` protects its nats-server (DESIGN 11): one nkey user per role, the seeds generated on the
// first run into <data-dir>/nats-auth (dir 0700, files 0600) and reused afterwards, and a server
// configuration that listens on loopback only and grants each user its role's permissions. A
// client without a seed is refused; a collector's seed publishes only its own cluster's changes.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nkeys } from '@nats-io/nats-core';
import {
  collectorPermissions,
  ledgerPermissions,
  type NatsPermissions,
  notifyPermissions,
  readerPermissions,
} from '../../../packages/runtime/index.js';
import { CliError } from '../errors.js';

export const NATS_AUTH_DIR = 'nats-auth';
/** up's nats-server configuration, beside the seeds: written afresh at every start. */
export const natsServerConfigPath = (dataDir: string) => join(dataDir, NATS_AUTH_DIR, 'nats-server.conf');
/**
 * Reply inbox prefixes (--nats-inbox-prefix) of up's ledger and its one collector, as
 * deploy/kubernetes names them: each may subscribe to its own only, so neither overhears the other.
 */
export const LEDGER_INBOX = '_INBOX_LEDGER';
export const COLLECTOR_INBOX = '_INBOX_COLLECTOR';
export const NOTIFY_INBOX = '_INBOX_NOTIFY';

export interface NatsUser {
  /** The seed file the client connects with (--nats-nkey-file). */
  seedFile: string;
  /** The user's public nkey (U…), which the server lists. */
  publicKey: string;
  permissions: NatsPermissions;
}

export interface NatsAuth {
  ledger: NatsUser;
  collector: NatsUser;
  /** The notify service's (alert outputs): reads INGRESS_ALERTS, dead-letters. */
  notify: NatsUser;
  /** For tools: reads ledger.checkpoints and ledger.alerts.>, publishes nothing. */
  reader: NatsUser;
}

/** Reads the user seed in `file`, or writes a new one (mode 0600) when there is none. */
function userSeed(file: string): string {
  if (existsSync(file)) {
    const seed = readFileSync(file, 'utf8').trim();
    try {
      const kp = nkeys.fromSeed(new TextEncoder().encode(seed));
      if (kp.getPublicKey().startsWith('U')) return kp.getPublicKey();
    } catch {
      // reported below
    }
    throw new CliError(
      'CONFIG',
      `${file} does not hold a NATS user nkey seed (SU…); remove it to make a new one`,
    );
  }
  const kp = nkeys.createUser();
  writeFileSync(file, `${new TextDecoder().decode(kp.getSeed())}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return kp.getPublicKey();
}

/** The ledger's and the collector's NATS users, made on the first run and kept. */
export function loadOrCreateNatsAuth(dataDir: string, cluster: string): NatsAuth {
  const dir = join(dataDir, NATS_AUTH_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const user = (name: string, permissions: NatsPermissions): NatsUser => {
    const seedFile = join(dir, `${name}.nk`);
    return { seedFile, publicKey: userSeed(seedFile), permissions };
  };
  return {
    ledger: user('ledger', ledgerPermissions(LEDGER_INBOX)),
    collector: user(`collector-${cluster}`, collectorPermissions(cluster, COLLECTOR_INBOX)),
    notify: user('notify', notifyPermissions(NOTIFY_INBOX)),
    reader: user('reader', readerPermissions()),
  };
}

const quoted = (subjects: string[]) => `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;
// An empty allow list would leave the direction unrestricted: none is said as "deny everything".
const rule = (subjects: string[]) =>
  subjects.length === 0 ? '{ deny: [">"] }' : `{ allow: ${quoted(subjects)} }`;

/**
 * The nats-server configuration of `up`: loopback only, JetStream stored in `storeDir`, and only
 * the listed users, each limited to its permissions (anything not allowed is denied).
 */
export function natsServerConfig(port: number, storeDir: string, users: NatsUser[]): string {
  const entries = users.map(
    (u) =>
      `    { nkey: ${u.publicKey}, permissions: { publish: ${rule(u.permissions.publish)}, ` +
      `subscribe: ${rule(u.permissions.subscribe)} } }`,
  );
  return [
    '# Written by `ingress-ledger up` at every start; edits are overwritten.',
    `listen: "127.0.0.1:${port}"`,
    `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
    'authorization {',
    '  users = [',
    ...entries,
    '  ]',
    '}',
    '',
  ].join('\n');
}

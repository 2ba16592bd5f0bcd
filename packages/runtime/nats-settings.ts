// The NATS settings every service that connects to NATS takes, under the same names: one group,
// so a manifest or a config file reads the same for the ledger and the collector. The password is
// a secret and so comes only from a file.
import { type NatsConfig, type NatsSetting, natsSettingsProblem } from './nats.js';
import type { Settings } from './settings.js';

/** NATS URL when none is configured: a local server on the standard port. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export const NATS_SETTINGS = [
  {
    name: 'nats-url',
    arg: 'urls',
    help: `NATS server URL(s), comma-separated (default ${DEFAULT_NATS_URL})`,
  },
  { name: 'nats-user', arg: 'user', help: 'NATS user (with --nats-password-file)' },
  { name: 'nats-password-file', arg: 'file', help: 'file holding the NATS password' },
  { name: 'nats-nkey-file', arg: 'file', help: 'file holding a NATS user nkey seed (SU…)' },
  { name: 'nats-creds-file', arg: 'file', help: 'NATS .creds file (user JWT and seed)' },
  { name: 'nats-ca-file', arg: 'file', help: 'PEM CA bundle to verify the NATS server (implies TLS)' },
  { name: 'nats-cert-file', arg: 'file', help: 'client certificate for NATS mutual TLS (PEM)' },
  { name: 'nats-key-file', arg: 'file', help: 'client key for NATS mutual TLS (PEM)' },
  {
    name: 'nats-inbox-prefix',
    arg: 'prefix',
    help: 'subject prefix of reply inboxes (default _INBOX), for a server that gives each role its own',
  },
] as const;

export type NatsSettingName = (typeof NATS_SETTINGS)[number]['name'];

/** The flag of each NatsConfig field, to name it in errors found when its files are read. */
export const NATS_FLAGS: Record<NatsSetting, NatsSettingName> = {
  url: 'nats-url',
  user: 'nats-user',
  password: 'nats-password-file',
  nkeySeedFile: 'nats-nkey-file',
  credsFile: 'nats-creds-file',
  tlsCaFile: 'nats-ca-file',
  tlsCertFile: 'nats-cert-file',
  tlsKeyFile: 'nats-key-file',
  inboxPrefix: 'nats-inbox-prefix',
};

/**
 * The NatsConfig the settings give, its files read and checked now, so that a wrong path or a file
 * of the wrong kind stops the start with the flag's name instead of failing inside the client.
 */
export function natsConfigFrom(s: Settings<NatsSettingName>, name?: string): NatsConfig {
  const c: NatsConfig = { url: s.get('nats-url') ?? DEFAULT_NATS_URL };
  if (name !== undefined) c.name = name;
  const inbox = s.get('nats-inbox-prefix');
  if (inbox !== undefined) c.inboxPrefix = inbox;
  const user = s.get('nats-user');
  if (user !== undefined) c.user = user;
  const password = s.secretFile('nats-password-file');
  if (password !== undefined) c.password = password;
  const files: [
    NatsSettingName,
    'nkeySeedFile' | 'credsFile' | 'tlsCaFile' | 'tlsCertFile' | 'tlsKeyFile',
  ][] = [
    ['nats-nkey-file', 'nkeySeedFile'],
    ['nats-creds-file', 'credsFile'],
    ['nats-ca-file', 'tlsCaFile'],
    ['nats-cert-file', 'tlsCertFile'],
    ['nats-key-file', 'tlsKeyFile'],
  ];
  for (const [flag, field] of files) {
    const v = s.get(flag);
    if (v !== undefined) c[field] = v;
  }
  const problem = natsSettingsProblem(c, NATS_FLAGS);
  if (problem !== undefined) {
    const flag = problem.slice(2, problem.indexOf(':')) as NatsSettingName;
    s.fail(flag, problem.slice(problem.indexOf(':') + 2));
  }
  return c;
}

// NATS connection options shared by the services: URL, credentials and TLS from configuration.
// Files are read and checked here, before any connection, so a wrong path or a file of the wrong
// kind is a configuration error that names the setting rather than a failure deep in the client.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { credsAuthenticator, type NatsConnection, nkeyAuthenticator, nkeys } from '@nats-io/nats-core';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { ReadinessCheck } from './health.js';
import type { Logger } from './log.js';

export interface NatsConfig {
  /** One or more server URLs, comma-separated (nats://host:port, or tls://host:port to require TLS). */
  url: string;
  user?: string;
  password?: string;
  /** A file holding a user nkey seed (SU…). */
  nkeySeedFile?: string;
  /** A NATS .creds file (user JWT and seed). */
  credsFile?: string;
  /** A PEM CA bundle to verify the server with; implies TLS. */
  tlsCaFile?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /**
   * Subject prefix of this client's reply inboxes (default `_INBOX`). A server that gives each role
   * its own prefix can let each subscribe to its own inboxes only, so no client overhears another's
   * replies (pulled messages, PubAcks).
   */
  inboxPrefix?: string;
  /** Connection name shown by the server. */
  name?: string;
}

/** The settings of NatsConfig that come from configuration (a service maps them to its flags). */
export type NatsSetting = Exclude<keyof NatsConfig, 'name'>;

export type NatsErrorCode =
  /** A setting cannot work (missing file, wrong kind of file, settings that exclude each other). */
  | 'CONFIG'
  /** The server could not be reached, refused the credentials, or failed TLS verification. */
  | 'CONNECT';

export class NatsError extends Error {
  override readonly name = 'NatsError';
  constructor(
    readonly code: NatsErrorCode,
    message: string,
    /** The setting at fault, for CONFIG. */
    readonly setting?: NatsSetting,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function bad(setting: NatsSetting, message: string): never {
  throw new NatsError('CONFIG', message, setting);
}

function readSetting(setting: NatsSetting, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    bad(setting, `cannot read ${file} (${code})`);
  }
}

// Authenticators sign the server's nonce; signing one now parses the seed (and the JWT) early.
const PROBE_NONCE = 'configuration-check';

function checkNkeySeed(file: string): Uint8Array {
  const seed = new TextEncoder().encode(readSetting('nkeySeedFile', file).toString('utf8').trim());
  let publicKey: string;
  try {
    publicKey = nkeys.fromSeed(seed).getPublicKey();
  } catch {
    bad('nkeySeedFile', `${file} does not hold an nkey seed`);
  }
  // The server lists user public keys (U…); an account or operator seed can never log in.
  if (!publicKey.startsWith('U'))
    bad('nkeySeedFile', `${file} holds an nkey seed that is not a user's (SU…)`);
  return seed;
}

function checkCreds(file: string): Uint8Array {
  const creds = readSetting('credsFile', file);
  try {
    credsAuthenticator(creds)(PROBE_NONCE);
  } catch {
    bad('credsFile', `${file} is not a NATS .creds file (a user JWT and an nkey seed)`);
  }
  return creds;
}

function checkPem(setting: NatsSetting, file: string, kind: 'certificate' | 'key'): void {
  const pem = readSetting(setting, file);
  try {
    if (kind === 'certificate') new X509Certificate(pem);
    else createPrivateKey(pem);
  } catch {
    bad(setting, `${file} is not a PEM ${kind}`);
  }
}

/**
 * Checks `c`'s settings and files as natsConnectionOptions does, for a service's start-up: the
 * problem as "--<flag>: <why>" with the service's own flag names, or undefined when they can work.
 */
export function natsSettingsProblem(c: NatsConfig, flags: Record<NatsSetting, string>): string | undefined {
  try {
    natsConnectionOptions(c);
    return undefined;
  } catch (err) {
    if (err instanceof NatsError && err.setting !== undefined)
      return `--${flags[err.setting]}: ${err.message}`;
    throw err;
  }
}

/**
 * The client options for `c`, after checking that its files exist and hold what they should.
 * Throws NatsError('CONFIG') naming the setting at fault.
 */
export function natsConnectionOptions(c: NatsConfig): NodeConnectionOptions {
  const servers = c.url.split(',').map((s) => s.trim());
  if (servers.some((s) => s === '')) bad('url', `"${c.url}" has an empty server URL`);
  const opts: NodeConnectionOptions = {
    servers,
    name: c.name ?? 'ingress-ledger',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  };
  if (c.inboxPrefix !== undefined) {
    // One subject token: the client adds `.<id>` after it, and a server permission is `<prefix>.>`.
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(c.inboxPrefix)) {
      bad('inboxPrefix', `"${c.inboxPrefix}" is not one subject token of A-Z, a-z, 0-9, "_" and "-"`);
    }
    opts.inboxPrefix = c.inboxPrefix;
  }
  const methods = [c.user, c.nkeySeedFile, c.credsFile].filter((m) => m !== undefined).length;
  if (methods > 1) {
    bad(
      c.credsFile !== undefined ? 'credsFile' : 'nkeySeedFile',
      'give one of user and password, an nkey seed file or a creds file',
    );
  }
  if ((c.user === undefined) !== (c.password === undefined)) {
    bad(c.user === undefined ? 'password' : 'user', 'a NATS user and password go together');
  }
  if (c.user !== undefined) opts.user = c.user;
  if (c.password !== undefined) opts.pass = c.password;
  if (c.nkeySeedFile !== undefined) opts.authenticator = nkeyAuthenticator(checkNkeySeed(c.nkeySeedFile));
  if (c.credsFile !== undefined) opts.authenticator = credsAuthenticator(checkCreds(c.credsFile));

  if ((c.tlsCertFile === undefined) !== (c.tlsKeyFile === undefined)) {
    bad(
      c.tlsCertFile === undefined ? 'tlsCertFile' : 'tlsKeyFile',
      'a client certificate and key go together',
    );
  }
  if (c.tlsCaFile !== undefined) checkPem('tlsCaFile', c.tlsCaFile, 'certificate');
  if (c.tlsCertFile !== undefined) checkPem('tlsCertFile', c.tlsCertFile, 'certificate');
  if (c.tlsKeyFile !== undefined) checkPem('tlsKeyFile', c.tlsKeyFile, 'key');
  // Any TLS option makes the client refuse a server that does not offer TLS; tls:// in a URL asks
  // for that too (verified against the system's roots unless a CA file is given). The client
  // re-reads the files at every connection, so renewed certificates are picked up on reconnect.
  const tlsWanted = servers.some((s) => s.toLowerCase().startsWith('tls://'));
  if (tlsWanted || c.tlsCaFile !== undefined || c.tlsCertFile !== undefined) {
    opts.tls = {
      ...(c.tlsCaFile !== undefined ? { caFile: c.tlsCaFile } : {}),
      ...(c.tlsCertFile !== undefined ? { certFile: c.tlsCertFile } : {}),
      ...(c.tlsKeyFile !== undefined ? { keyFile: c.tlsKeyFile } : {}),
    };
  }
  return opts;
}

// TLS alerts by which a server refuses the client's certificate (none, or from a CA it distrusts).
const REFUSED_CERTIFICATE =
  /^ERR_SSL_.*ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|UNKNOWN_CA)$/;

// Node's codes for a server certificate that does not verify against the CA bundle.
const SERVER_NOT_TRUSTED = /^(UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED|CERT_|ERR_TLS_CERT_)/;

/** One line on why a connection failed: OpenSSL's own text is long and names its source files. */
function failure(err: unknown, tls: boolean): string {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && REFUSED_CERTIFICATE.test(code)) {
    return `the server refused the client certificate (${code}): it needs one from a CA it trusts`;
  }
  // A server that distrusts the client's certificate may also just drop the connection.
  if (tls && code === 'ECONNRESET') {
    return 'the server reset the connection during TLS (ECONNRESET): it may require a client certificate, or distrust the one given';
  }
  const text = String(e.message ?? err).split('\n')[0] ?? '';
  if (code !== undefined && SERVER_NOT_TRUSTED.test(code)) {
    return `the server's certificate did not verify: ${text} (${code})`;
  }
  return code === undefined || text.includes(code) ? text : `${text} (${code})`;
}

/**
 * Connects with `c`. A bad setting is NatsError('CONFIG'); a server that cannot be reached, refuses
 * the credentials or fails TLS is NatsError('CONNECT') naming the URL and the cause.
 */
export async function connectNats(c: NatsConfig): Promise<NatsConnection> {
  const opts = natsConnectionOptions(c);
  try {
    // With reconnection on, nats.js (3.4) does not notice a server closing the connection during
    // the CONNECT handshake: it waits out its whole connect timeout (20 s) and then says only
    // "timeout". A TLS 1.3 server that refuses the client's certificate does exactly that. Without
    // reconnection the same failure surfaces at once with its cause, so a first connection made
    // that way finds what is wrong; the lasting one is opened only after it succeeded.
    const probe = await connect({ ...opts, reconnect: false });
    await probe.close();
    return await connect(opts);
  } catch (err) {
    const why = failure(err, opts.tls !== undefined);
    throw new NatsError('CONNECT', `NATS ${c.url}: ${why}`, undefined, { cause: err });
  }
}

/** A server address as nats.js reports it, without any user:password@ part. */
function serverName(server: string): string {
  return server.replace(/^([a-z]+:\/\/)?[^@/]*@/i, '$1');
}

export interface NatsLink {
  /** Readiness: passes while the connection is up. */
  check: ReadinessCheck;
  readonly connected: boolean;
}

/**
 * Follows `nc`'s status for as long as it is open: logs each disconnect (warn) and reconnect
 * (info) with the server's address, never its credentials, and answers whether it is connected now.
 */
export function watchNatsConnection(nc: NatsConnection, logger: Logger): NatsLink {
  let connected = !nc.isClosed();
  let lost: { server: string; at: string } | undefined;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        connected = false;
        lost = { server: serverName(s.server), at: new Date().toISOString() };
        logger.warn({ server: lost.server }, 'NATS disconnected; reconnecting');
      } else if (s.type === 'reconnect') {
        connected = true;
        logger.info({ server: serverName(s.server) }, 'NATS reconnected');
        lost = undefined;
      } else if (s.type === 'close') {
        connected = false;
      }
    }
  })().catch((err: unknown) => logger.error({ err }, 'NATS status watch failed'));
  return {
    get connected() {
      return connected && !nc.isClosed();
    },
    check() {
      if (nc.isClosed()) return 'NATS connection closed';
      if (connected) return undefined;
      return lost === undefined ? 'NATS not connected' : `NATS ${lost.server} lost at ${lost.at}`;
    },
  };
}

/** How long a stopping service lets NATS drain before it closes the connection. */
export const DEFAULT_NATS_CLOSE_MS = 5000;

/**
 * Drains `nc` (what was published is flushed, subscriptions finish) for at most `withinMs`, then
 * closes it. A drain waits for the server, so with the server gone (a full disk, a network cut) it
 * never ends by itself; a stopping process must not wait on it.
 */
export async function closeNats(nc: NatsConnection, withinMs = DEFAULT_NATS_CLOSE_MS): Promise<void> {
  if (nc.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, withinMs);
  });
  await Promise.race([nc.drain().catch(() => undefined), late]);
  clearTimeout(timer);
  if (!nc.isClosed()) await nc.close().catch(() => undefined);
}

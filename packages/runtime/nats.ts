// NATS connection options shared by the services: URL, credentials and TLS from configuration.
import { readFileSync } from 'node:fs';
import { credsAuthenticator, type NatsConnection, nkeyAuthenticator } from '@nats-io/nats-core';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';

export interface NatsConfig {
  /** One or more server URLs, comma-separated (nats://host:port or tls://host:port). */
  url: string;
  user?: string;
  password?: string;
  /** A file holding an nkey seed (SU…). */
  nkeySeedFile?: string;
  /** A NATS .creds file (JWT and seed). */
  credsFile?: string;
  /** A PEM CA bundle to verify the server with; implies TLS. */
  tlsCaFile?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Connection name shown by the server. */
  name?: string;
}

export function natsConnectionOptions(c: NatsConfig): NodeConnectionOptions {
  const opts: NodeConnectionOptions = {
    servers: c.url.split(',').map((s) => s.trim()),
    name: c.name ?? 'ingress-ledger',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  };
  if (c.user !== undefined) opts.user = c.user;
  if (c.password !== undefined) opts.pass = c.password;
  if (c.nkeySeedFile !== undefined) {
    opts.authenticator = nkeyAuthenticator(
      new TextEncoder().encode(readFileSync(c.nkeySeedFile, 'utf8').trim()),
    );
  }
  if (c.credsFile !== undefined) opts.authenticator = credsAuthenticator(readFileSync(c.credsFile));
  if (c.tlsCaFile !== undefined || c.tlsCertFile !== undefined) {
    opts.tls = {
      ...(c.tlsCaFile !== undefined ? { caFile: c.tlsCaFile } : {}),
      ...(c.tlsCertFile !== undefined ? { certFile: c.tlsCertFile } : {}),
      ...(c.tlsKeyFile !== undefined ? { keyFile: c.tlsKeyFile } : {}),
    };
  }
  return opts;
}

export async function connectNats(c: NatsConfig): Promise<NatsConnection> {
  return connect(natsConnectionOptions(c));
}

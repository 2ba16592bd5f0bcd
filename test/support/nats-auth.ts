// NATS credentials for auth tests: nkey pairs, and decentralized (JWT) auth made here without the
// nsc tool: an operator, one account with JetStream enabled, and a user's .creds file. The server
// side is a configuration snippet for startNatsServer({ config }) with a memory resolver.
import { randomUUID } from 'node:crypto';
import { nkeys } from '@nats-io/nats-core';

const text = new TextDecoder();

function b64url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString('base64url');
}

/**
 * A NATS JWT (version 2 claims) for `subject`, issued and signed by `issuer`. The server checks the
 * signature, the issuer chain and the claim types; `jti` is only an id here, so a random one does.
 */
function natsJwt(
  issuer: nkeys.KeyPair,
  subject: string,
  name: string,
  nats: Record<string, unknown>,
): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const claims = {
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  const body = b64url(JSON.stringify(claims));
  const signature = issuer.sign(new TextEncoder().encode(`${header}.${body}`));
  return `${header}.${body}.${b64url(signature)}`;
}

/** A user nkey pair: the seed text (SU…) for the client, the public key (U…) for the server. */
export function userNkey(): { seed: string; publicKey: string } {
  const kp = nkeys.createUser();
  return { seed: text.decode(kp.getSeed()), publicKey: kp.getPublicKey() };
}

export interface OperatorSetup {
  /** nats-server configuration: the operator JWT, a memory resolver preloaded with the account. */
  serverConfig: string;
  /** A .creds file's text for a user of that account (JWT and seed). */
  userCreds: string;
  /** A .creds file's text for a user that an unknown account issued. */
  strangerCreds: string;
}

function credsFile(jwt: string, seed: Uint8Array): string {
  return [
    '-----BEGIN NATS USER JWT-----',
    jwt,
    '------END NATS USER JWT------',
    '',
    '-----BEGIN USER NKEY SEED-----',
    text.decode(seed),
    '------END USER NKEY SEED------',
    '',
  ].join('\n');
}

function userCreds(account: nkeys.KeyPair, name: string): string {
  const user = nkeys.createUser();
  const jwt = natsJwt(account, user.getPublicKey(), name, {
    type: 'user',
    pub: {},
    sub: {},
    subs: -1,
    data: -1,
    payload: -1,
  });
  return credsFile(jwt, user.getSeed());
}

/**
 * Operator mode with one JetStream-enabled account (`account` names it in the server's logs) and
 * the system account that JetStream needs in operator mode.
 */
export function operatorSetup(account = 'ledger'): OperatorSetup {
  const operator = nkeys.createOperator();
  const system = nkeys.createAccount();
  const operatorJwt = natsJwt(operator, operator.getPublicKey(), 'test-operator', {
    type: 'operator',
    system_account: system.getPublicKey(),
  });
  const systemJwt = natsJwt(operator, system.getPublicKey(), 'SYS', { type: 'account' });
  const acct = nkeys.createAccount();
  const accountJwt = natsJwt(operator, acct.getPublicKey(), account, {
    type: 'account',
    limits: {
      subs: -1,
      data: -1,
      payload: -1,
      imports: -1,
      exports: -1,
      wildcards: true,
      conn: -1,
      leaf: -1,
      // Any storage limit other than 0 enables JetStream for the account.
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
  });
  const serverConfig = [
    `operator: ${operatorJwt}`,
    'resolver: MEMORY',
    `system_account: ${system.getPublicKey()}`,
    `resolver_preload: { ${system.getPublicKey()}: ${systemJwt}, ${acct.getPublicKey()}: ${accountJwt} }`,
    '',
  ].join('\n');
  return {
    serverConfig,
    userCreds: userCreds(acct, 'ledger-user'),
    strangerCreds: userCreds(nkeys.createAccount(), 'stranger'),
  };
}

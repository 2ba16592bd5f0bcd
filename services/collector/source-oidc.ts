// Pub/Sub push authentication with an OIDC token: Pub/Sub signs a JWT (RS256) as the subscription's
// service account and sends it as `Authorization: Bearer <jwt>`. The collector checks it offline
// against Google's signing keys in a file (JWKS from https://www.googleapis.com/oauth2/v3/certs,
// the `{kid: PEM certificate}` map from .../oauth2/v1/certs, or PEM public keys/certificates), which
// is followed on disk so that a refreshed file takes effect without a restart.
//
// What is checked, in this order, before anything is trusted: the token's size and shape, alg RS256,
// the signature by a configured key (by kid when the token names one), the issuer, the audience,
// expiry and issue time (with a little clock skew), and, when configured, the service account's
// email (verified). The token is attacker-controlled text until its signature verifies.
import { createPublicKey, type KeyObject, verify, X509Certificate } from 'node:crypto';
import { isObject } from '../../packages/change/index.js';
import { type PolledFiles, pollFiles } from '../../packages/file-watch/index.js';
import type { Logger } from '../../packages/runtime/index.js';
import { CollectorError } from './errors.js';

/** Issuers of Google-signed ID tokens. */
export const GOOGLE_ISSUERS: readonly string[] = ['https://accounts.google.com', 'accounts.google.com'];
/** Longest token looked at; Google's ID tokens are about 1 KB. */
const MAX_TOKEN_CHARS = 8192;
/** Clock difference tolerated on exp and iat. */
const CLOCK_SKEW_S = 60;
const B64URL = /^[A-Za-z0-9_-]+$/;
const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g;

export interface OidcOptions {
  /** The audience the push subscription was configured with. */
  audience: string;
  /** JWKS, {kid: PEM} map, or PEM file of the issuer's public keys. */
  keysFile: string;
  /** When set, the token's `email` must be this service account (and verified). */
  serviceAccount?: string;
  issuers?: readonly string[];
  logger: Logger;
  intervalMs?: number;
}

interface IssuerKeys {
  /** Keys by kid; keys of a PEM file have none. */
  byKid: Map<string, KeyObject>;
  all: KeyObject[];
}

function rsa(k: KeyObject): KeyObject {
  if (k.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
  return k;
}

/** Parses the keys file; throws when it holds no usable RSA public key. */
export function parseIssuerKeys(text: string): IssuerKeys {
  const byKid = new Map<string, KeyObject>();
  const all: KeyObject[] = [];
  const add = (k: KeyObject, kid?: string) => {
    all.push(rsa(k));
    if (kid !== undefined) byKid.set(kid, k);
  };
  const fromPem = (pem: string): KeyObject =>
    pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const doc: unknown = JSON.parse(trimmed);
    if (!isObject(doc)) throw new Error('not a JSON object');
    if (Array.isArray(doc.keys)) {
      for (const jwk of doc.keys) {
        if (!isObject(jwk) || jwk.kty !== 'RSA') continue;
        if (jwk.use !== undefined && jwk.use !== 'sig') continue;
        add(
          createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
          typeof jwk.kid === 'string' ? jwk.kid : undefined,
        );
      }
    } else {
      for (const [kid, pem] of Object.entries(doc)) if (typeof pem === 'string') add(fromPem(pem), kid);
    }
  } else {
    for (const m of trimmed.matchAll(PEM_BLOCK)) add(fromPem(m[0]));
  }
  if (all.length === 0) throw new Error('no RSA public key in it');
  return { byKid, all };
}

function part(text: string): Record<string, unknown> | undefined {
  if (!B64URL.test(text)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Why a token is refused (logged, never sent to the client). */
export type OidcRefusal = 'malformed' | 'alg' | 'signature' | 'issuer' | 'audience' | 'expired' | 'email';

export interface OidcClaims {
  iss: string;
  aud: string;
  email?: string;
}

/** Verifies a token against keys at time `nowS`; pure (tests pass their own clock). */
export function verifyIdToken(
  token: string,
  keys: IssuerKeys,
  o: Pick<OidcOptions, 'audience' | 'serviceAccount' | 'issuers'>,
  nowS: number,
): OidcClaims | OidcRefusal {
  if (token.length > MAX_TOKEN_CHARS) return 'malformed';
  const parts = token.split('.');
  if (parts.length !== 3) return 'malformed';
  const [h, p, s] = parts as [string, string, string];
  const header = part(h);
  const claims = part(p);
  if (header === undefined || claims === undefined || !B64URL.test(s)) return 'malformed';
  if (header.alg !== 'RS256') return 'alg';
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const named = kid === undefined ? undefined : keys.byKid.get(kid);
  const candidates = named !== undefined ? [named] : keys.all;
  const signed = Buffer.from(`${h}.${p}`, 'ascii');
  const signature = Buffer.from(s, 'base64url');
  if (!candidates.some((k) => verify('RSA-SHA256', signed, k, signature))) return 'signature';
  if (typeof claims.iss !== 'string' || !(o.issuers ?? GOOGLE_ISSUERS).includes(claims.iss)) return 'issuer';
  const aud = claims.aud;
  if (!(aud === o.audience || (Array.isArray(aud) && aud.includes(o.audience)))) return 'audience';
  if (typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW_S < nowS) return 'expired';
  if (typeof claims.iat === 'number' && claims.iat - CLOCK_SKEW_S > nowS) return 'expired';
  if (
    o.serviceAccount !== undefined &&
    (claims.email !== o.serviceAccount || claims.email_verified !== true)
  ) {
    return 'email';
  }
  return {
    iss: claims.iss,
    aud: o.audience,
    ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
  };
}

export interface OidcCheck {
  /** The token verifies now; otherwise why not. */
  check(token: string): true | OidcRefusal;
  stop(): void;
}

/** Follows the keys file; a file that cannot serve at start is a CONFIG error naming the flag. */
export function followOidc(o: OidcOptions): OidcCheck {
  let polled: PolledFiles<IssuerKeys>;
  try {
    polled = pollFiles({
      files: [o.keysFile],
      load: ([b]) => parseIssuerKeys((b ?? Buffer.alloc(0)).toString('utf8')),
      onChange: () => o.logger.info({ file: o.keysFile }, 'Pub/Sub OIDC keys file changed'),
      onError: (err) =>
        o.logger.error(
          { file: o.keysFile, err: err.message },
          'Pub/Sub OIDC keys file cannot serve: keeping the previous keys',
        ),
      ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
    });
  } catch (err) {
    throw new CollectorError(
      'CONFIG',
      `--gke-pubsub-oidc-keys-file: ${o.keysFile}: ${(err as Error).message}`,
    );
  }
  return {
    check: (token) => {
      const r = verifyIdToken(token, polled.current, o, Math.floor(Date.now() / 1000));
      return typeof r === 'string' ? r : true;
    },
    stop: () => polled.stop(),
  };
}

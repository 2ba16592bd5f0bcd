// Pub/Sub push OIDC tokens, checked offline against a key file: a key generated here stands in for
// Google's, in each file format the collector reads.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseIssuerKeys, verifyIdToken } from './source-oidc.js';
import { signIdToken } from './testing.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwks = JSON.stringify({
  keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }],
});
const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
const now = 1_800_000_000;
const audience = 'https://collector.example.com/sources/gke-pubsub';
const claims = {
  iss: 'https://accounts.google.com',
  aud: audience,
  iat: now - 10,
  exp: now + 3600,
  email: 'pusher@proj.iam.gserviceaccount.com',
  email_verified: true,
};
const opts = { audience, serviceAccount: 'pusher@proj.iam.gserviceaccount.com' };

describe('a Pub/Sub push OIDC token', () => {
  for (const [name, text] of [
    ['a JWKS', jwks],
    ['a PEM public key', pem],
    ['a {kid: PEM} map', JSON.stringify({ k1: pem })],
  ] as const) {
    it(`verifies against ${name}`, () => {
      const keys = parseIssuerKeys(text);
      const r = verifyIdToken(signIdToken(claims, privateKey, 'k1'), keys, opts, now);
      assert.equal(typeof r, 'object');
    });
  }

  const keys = parseIssuerKeys(jwks);
  const refused: [string, string, string][] = [
    ['signed by another key', signIdToken(claims, other.privateKey, 'k1'), 'signature'],
    [
      'naming an unknown kid, signed by another key',
      signIdToken(claims, other.privateKey, 'k9'),
      'signature',
    ],
    ['for another audience', signIdToken({ ...claims, aud: 'https://elsewhere' }, privateKey), 'audience'],
    ['from another issuer', signIdToken({ ...claims, iss: 'https://evil.example' }, privateKey), 'issuer'],
    ['expired', signIdToken({ ...claims, exp: now - 120 }, privateKey), 'expired'],
    ['issued in the future', signIdToken({ ...claims, iat: now + 600 }, privateKey), 'expired'],
    ['without exp', signIdToken({ ...claims, exp: undefined }, privateKey), 'expired'],
    ['of another service account', signIdToken({ ...claims, email: 'x@y.z' }, privateKey), 'email'],
    ['with an unverified email', signIdToken({ ...claims, email_verified: false }, privateKey), 'email'],
    [
      'with alg none',
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`,
      'malformed',
    ],
    [
      'with alg HS256',
      `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.AAAA`,
      'alg',
    ],
    ['of two parts', 'a.b', 'malformed'],
    ['not base64url', 'a+b.c.d', 'malformed'],
    ['huge', `${'a'.repeat(9000)}.b.c`, 'malformed'],
    ['the webhook token', 'test-token-0123456789abcdef', 'malformed'],
  ];
  for (const [name, token, why] of refused) {
    it(`is refused when ${name} (${why})`, () => {
      assert.equal(verifyIdToken(token, keys, opts, now), why);
    });
  }

  it('accepts an audience list that holds ours, and no service account when none is configured', () => {
    const r = verifyIdToken(
      signIdToken({ ...claims, aud: ['x', audience], email: 'x@y.z' }, privateKey),
      keys,
      { audience },
      now,
    );
    assert.equal(typeof r, 'object');
  });

  const badFiles: [string, string][] = [
    ['empty', ''],
    ['a JWKS without RSA keys', '{"keys": [{"kty": "EC"}]}'],
    ['not JSON', '{"keys": ['],
    [
      'an EC key',
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ format: 'pem', type: 'spki' })
        .toString(),
    ],
  ];
  for (const [name, text] of badFiles) {
    it(`refuses a keys file that is ${name}`, () => {
      assert.throws(() => parseIssuerKeys(text));
    });
  }
});

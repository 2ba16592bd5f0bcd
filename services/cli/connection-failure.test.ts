import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainUnavailable } from './connection-failure.js';

// Messages as grpc-js 1.14 words them (seen in test/ledger-grpc-tls.test.ts runs).
const cases: [string, string, RegExp][] = [
  [
    'a server certificate from another CA',
    'No connection established. Last error: Error: unable to verify the first certificate. Resolution note: ',
    /^the ledger's certificate did not verify \(unable to verify the first certificate\): is --tls-ca/,
  ],
  [
    'a mutual-TLS server given no client certificate',
    'No connection established. Last error: 80EC83EBFB7F0000:error:0A00045C:SSL routines:ssl3_read_bytes:' +
      'tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert ' +
      'number 116 (2026-11-27T03:54:16.307Z). Resolution note: ',
    /^the ledger refused the client certificate \(tlsv13 alert certificate required\): .*--tls-cert/,
  ],
  [
    'a connection closed during its setup',
    'No connection established. Last error: Failed to connect (2026-11-27T03:54:16.327Z). Resolution note: ',
    /^the connection closed while it was being set up: .*--tls-ca/,
  ],
  [
    'a refused connection',
    'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1 (2026-11-27T03:54:16.327Z). Resolution note: ',
    /^connect ECONNREFUSED 127\.0\.0\.1:1$/,
  ],
  ['any other message', 'Deadline exceeded', /^Deadline exceeded$/],
];

describe('explainUnavailable', () => {
  for (const [name, message, expected] of cases) {
    it(`explains ${name}`, () => assert.match(explainUnavailable(message), expected));
  }
});

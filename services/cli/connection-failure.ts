// A failed connection to the ledger in the user's terms. grpc-js reports one as UNAVAILABLE with
// its own wording ("No connection established. Last error: …"), which for TLS problems is an
// OpenSSL error string or a bare "Failed to connect". The text only picks the explanation shown;
// the status stays UNAVAILABLE whatever it says.

const NO_CONNECTION = /^No connection established\. Last error: (.*?)(?:\. Resolution note: .*)?$/s;
const TIMESTAMP = /\s*\(\d{4}-\d\d-\d\dT[0-9:.]+Z\)$/;
const OPENSSL_REASON = /SSL routines:[^:]*:([^:]+):/;
// The TLS alerts a server sends when it wants a client certificate it did not get, or distrusts it.
const CLIENT_CERT_REFUSED = /alert (certificate required|bad certificate|unknown ca|certificate unknown)/i;
// Node's wording when the ledger's certificate does not verify against the trusted CAs.
const SERVER_CERT_UNTRUSTED =
  /unable to (verify|get)|self[- ]signed|certificate has expired|not yet valid|does not match certificate/i;

/** grpc-js's message of an UNAVAILABLE call, shortened and explained where the cause is TLS. */
export function explainUnavailable(message: string): string {
  const m = NO_CONNECTION.exec(message);
  if (m === null) return message;
  let detail = (m[1] ?? '').replace(TIMESTAMP, '').replace(/^Error: /, '');
  detail = OPENSSL_REASON.exec(detail)?.[1] ?? detail;
  if (CLIENT_CERT_REFUSED.test(detail)) {
    return `the ledger refused the client certificate (${detail}): it requires one from a CA it trusts (--tls-cert, --tls-key)`;
  }
  if (SERVER_CERT_UNTRUSTED.test(detail)) {
    return `the ledger's certificate did not verify (${detail}): is --tls-ca the CA that issued it?`;
  }
  if (detail === 'Failed to connect') {
    return (
      'the connection closed while it was being set up: a ledger serving TLS closes a plaintext ' +
      'client (give --tls-ca), and one requiring mutual TLS closes a client whose certificate it ' +
      'does not trust'
    );
  }
  return detail;
}

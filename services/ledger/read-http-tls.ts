// The read HTTP listener's TLS files, followed on disk like the gRPC ones (packages/file-watch): a
// renewed certificate or rotated client CA serves new connections without a restart; files that
// cannot serve keep the previous ones and are logged as an error.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import { type PolledFiles, pollFiles } from '../../packages/file-watch/index.js';
import type { TlsFiles } from '../../packages/rpc/index.js';
import { LedgerError } from './errors.js';

function load(tls: TlsFiles, [cert, key, ca]: Buffer[]): SecureContextOptions {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert ?? '');
  } catch {
    throw new LedgerError('CONFIG', `--tls-cert-file: ${tls.certFile} is not a PEM certificate`);
  }
  let matches = false;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key ?? ''));
  } catch {
    throw new LedgerError('CONFIG', `--tls-key-file: ${tls.keyFile} is not a PEM private key`);
  }
  if (!matches)
    throw new LedgerError('CONFIG', `--tls-key-file: ${tls.keyFile} does not match ${tls.certFile}`);
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch {
      throw new LedgerError('CONFIG', `--tls-client-ca-file: ${tls.caFile} is not a PEM certificate`);
    }
  }
  return { cert: cert ?? '', key: key ?? '', ...(ca !== undefined ? { ca } : {}) };
}

/**
 * Reads and checks the files now (throwing LedgerError('CONFIG') naming the flag), then follows
 * them, handing each accepted change to `apply`. `tls.certFile` and `tls.keyFile` must be set.
 */
export function followReadTls(
  tls: TlsFiles,
  logger: Logger,
  apply: (context: SecureContextOptions) => void,
): PolledFiles<SecureContextOptions> {
  const files = [tls.certFile ?? '', tls.keyFile ?? '', ...(tls.caFile !== undefined ? [tls.caFile] : [])];
  try {
    return pollFiles({
      files,
      load: (contents) => load(tls, contents),
      onChange: (context) => {
        apply(context);
        logger.info({ certFile: tls.certFile }, 'read HTTP TLS files changed: serving the new ones');
      },
      onError: (err) =>
        logger.error(
          { certFile: tls.certFile, err: err.message },
          'read HTTP TLS files changed but cannot serve: keeping the previous ones',
        ),
    });
  } catch (err) {
    if (err instanceof LedgerError) throw err;
    throw new LedgerError('CONFIG', `--tls-cert-file: ${(err as Error).message}`);
  }
}

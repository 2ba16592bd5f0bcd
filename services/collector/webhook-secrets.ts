// The webhook's TLS files and bearer token, followed on disk: a Secret that cert-manager renews, or
// a token an operator rotates, takes effect without a restart (packages/file-watch polls the files
// by content). A new file that cannot serve keeps the previous one and is logged as an error; the
// secret itself never reaches a log line.
import { createHash, createPrivateKey, type KeyObject, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import { type PolledFiles, pollFiles } from '../../packages/file-watch/index.js';
import type { Logger } from '../../packages/runtime/index.js';
import { type TlsFiles, WEBHOOK_TOKEN } from './config.js';
import { CollectorError } from './errors.js';

export interface FollowOptions {
  logger: Logger;
  /** How often the files are read again (default: packages/file-watch's). */
  intervalMs?: number;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Checks a bearer token in constant time against the current one. */
export interface TokenCheck {
  matches(presented: string): boolean;
  stop(): void;
}

/** The token `token`; followed in `file` (from which it was read) when one is given. */
export function followToken(token: string, file: string | undefined, o: FollowOptions): TokenCheck {
  if (file === undefined) {
    const d = digest(token);
    return { matches: (p) => timingSafeEqual(digest(p), d), stop: () => undefined };
  }
  const polled: PolledFiles<Buffer> = pollFiles({
    files: [file],
    load: ([b]) => {
      const text = (b ?? Buffer.alloc(0)).toString('utf8').trim();
      if (!WEBHOOK_TOKEN.test(text)) throw new Error('token must be 16-4096 printable characters');
      return digest(text);
    },
    onChange: () => o.logger.info({ file }, 'webhook token file changed: accepting the new token only'),
    onError: (err) =>
      o.logger.error(
        { file, err: err.message },
        'webhook token file changed but cannot serve: keeping the previous token',
      ),
    ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
  });
  return { matches: (p) => timingSafeEqual(digest(p), polled.current), stop: () => polled.stop() };
}

function loadTls(tls: TlsFiles, [cert, key, ca]: Buffer[]): SecureContextOptions {
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(cert ?? '');
  } catch {
    throw new CollectorError('CONFIG', `--tls-cert-file: ${tls.certFile} is not a PEM certificate`);
  }
  try {
    privateKey = createPrivateKey(key ?? '');
  } catch {
    throw new CollectorError('CONFIG', `--tls-key-file: ${tls.keyFile} is not a PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new CollectorError('CONFIG', `--tls-key-file: ${tls.keyFile} does not match ${tls.certFile}`);
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch {
      throw new CollectorError(
        'CONFIG',
        `--tls-client-ca-file: ${tls.clientCaFile} is not a PEM certificate`,
      );
    }
  }
  return { cert: cert ?? '', key: key ?? '', ...(ca !== undefined ? { ca } : {}) };
}

/**
 * The webhook's certificate, key and client CA, read and checked now (a file that cannot serve is
 * a CONFIG error naming its flag), then followed: `onChange` gets each renewal that can serve.
 */
export function followTls(
  tls: TlsFiles,
  onChange: (context: SecureContextOptions) => void,
  o: FollowOptions,
): PolledFiles<SecureContextOptions> {
  const files = [tls.certFile, tls.keyFile, ...(tls.clientCaFile !== undefined ? [tls.clientCaFile] : [])];
  try {
    return pollFiles({
      files,
      load: (contents) => loadTls(tls, contents),
      onChange: (context) => {
        const x509 = new X509Certificate(context.cert as Buffer);
        o.logger.info(
          { certFile: tls.certFile, subject: x509.subject, notAfter: x509.validTo },
          'webhook TLS files changed: serving the new ones',
        );
        onChange(context);
      },
      onError: (err) =>
        o.logger.error(
          { certFile: tls.certFile, err: err.message },
          'webhook TLS files changed but cannot serve: keeping the previous ones',
        ),
      ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
    });
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    const e = err as NodeJS.ErrnoException;
    const flag =
      e.path === tls.keyFile
        ? 'tls-key-file'
        : e.path === tls.clientCaFile
          ? 'tls-client-ca-file'
          : 'tls-cert-file';
    throw new CollectorError('CONFIG', `--${flag}: cannot read ${e.path ?? ''} (${e.code ?? 'unreadable'})`);
  }
}

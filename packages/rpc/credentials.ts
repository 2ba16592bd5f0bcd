import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { pollFiles } from '../file-watch/index.js';
import { RpcError } from './rpc-error.js';

/** PEM files for TLS; which ones are set decides the mode (see the two functions below). */
export interface TlsFiles {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
}

/** A TLS file that cannot serve: `file` says which of the TlsFiles it is, so a caller can name its flag. */
export class TlsFileError extends RpcError {
  constructor(
    readonly file: keyof TlsFiles,
    message: string,
  ) {
    super(grpc.status.INVALID_ARGUMENT, message);
    this.name = 'TlsFileError';
  }
}

function read(which: keyof TlsFiles, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsFileError(
      which,
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
}

/** Parses a PEM certificate now: grpc-js would only complain at bind or handshake time. */
function certificate(which: keyof TlsFiles, file: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new TlsFileError(which, `${file}: not a PEM certificate`);
  }
}

function readCa(file: string | undefined): Buffer | null {
  if (file === undefined) return null;
  const pem = read('caFile', file);
  certificate('caFile', file, pem);
  return pem;
}

function pairOrNone(tls: TlsFiles): { cert: Buffer; key: Buffer } | undefined {
  const { certFile, keyFile } = tls;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new TlsFileError(
      certFile === undefined ? 'certFile' : 'keyFile',
      'TLS needs both a certificate file and a key file',
    );
  }
  return checkPair(certFile, read('certFile', certFile), keyFile, read('keyFile', keyFile));
}

/** A certificate and the private key that matches it, parsed now. */
function checkPair(
  certFile: string,
  cert: Buffer,
  keyFile: string,
  key: Buffer,
): { cert: Buffer; key: Buffer } {
  const x509 = certificate('certFile', certFile, cert);
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsFileError('keyFile', `${keyFile}: not a PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsFileError('keyFile', `${keyFile} does not match ${certFile}`);
  }
  return { cert, key };
}

/**
 * Insecure when no files are given; TLS with cert+key; mutual TLS (a client certificate signed by
 * caFile is required) when caFile is given too.
 */
export function serverCredentials(tls: TlsFiles = {}): grpc.ServerCredentials {
  const pair = pairOrNone(tls);
  if (pair === undefined) {
    if (tls.caFile !== undefined) {
      throw new TlsFileError('caFile', 'a CA file for client certificates needs a server certificate');
    }
    return grpc.ServerCredentials.createInsecure();
  }
  const ca = readCa(tls.caFile);
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: pair.cert, private_key: pair.key }],
    ca !== null,
  );
}

/**
 * Insecure when no files are given; TLS trusting caFile (else the system roots) when any file is
 * given; presents a client certificate when certFile+keyFile are given.
 */
export function channelCredentials(tls: TlsFiles = {}): grpc.ChannelCredentials {
  const pair = pairOrNone(tls);
  const ca = readCa(tls.caFile);
  if (pair === undefined && ca === null) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(ca, pair?.key ?? null, pair?.cert ?? null);
}

/** Where reloading server credentials report a renewed file, or one that cannot serve. */
export interface TlsReloadLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ReloadOptions {
  logger: TlsReloadLog;
  /** How often the files are read again (default: packages/file-watch's). */
  intervalMs?: number;
}

/**
 * serverCredentials whose files are read again when their content changes (a renewed certificate,
 * a rotated client CA), for connections accepted from then on; no restart. Files that do not parse,
 * or a key that does not match its certificate, keep the previous ones and are logged as an error.
 * Insecure credentials (no files) are returned as they are.
 */
export function reloadingServerCredentials(tls: TlsFiles, o: ReloadOptions): grpc.ServerCredentials {
  const { certFile, keyFile, caFile } = tls;
  // Checked now, with the file at fault named, exactly as the static credentials are.
  const initial = serverCredentials(tls);
  if (certFile === undefined || keyFile === undefined) return initial;
  const provider = new PolledTlsProvider(certFile, keyFile, caFile, o);
  // grpc-js names this function's first parameter for a CA provider, but its credentials take
  // the first as the identity (certificate and key) provider and the second as the CA's.
  return grpc.experimental.createCertificateProviderServerCredentials(
    provider,
    caFile === undefined ? null : provider,
    caFile !== undefined,
  );
}

type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;
type CaListener = grpc.experimental.CaCertificateUpdateListener;

interface TlsState {
  identity: grpc.experimental.IdentityCertificateUpdate;
  ca: grpc.experimental.CaCertificateUpdate | null;
}

/**
 * One grpc-js certificate provider for a server's certificate, key and (optional) client CA. It
 * polls only while a bound server listens, and hands grpc-js only files that parse and match.
 */
class PolledTlsProvider implements grpc.experimental.CertificateProvider {
  readonly #identity = new Set<IdentityListener>();
  readonly #ca = new Set<CaListener>();
  #poll: ReturnType<typeof pollFiles<TlsState>> | undefined;

  constructor(
    readonly certFile: string,
    readonly keyFile: string,
    readonly caFile: string | undefined,
    readonly o: ReloadOptions,
  ) {}

  #load = ([cert, key, ca]: Buffer[]): TlsState => {
    const pair = checkPair(this.certFile, cert ?? Buffer.alloc(0), this.keyFile, key ?? Buffer.alloc(0));
    if (ca !== undefined) certificate('caFile', this.caFile ?? '', ca);
    return {
      identity: { certificate: pair.cert, privateKey: pair.key },
      ca: ca === undefined ? null : { caCertificate: ca },
    };
  };

  #start(): TlsState {
    if (this.#poll === undefined) {
      const files = [this.certFile, this.keyFile, ...(this.caFile !== undefined ? [this.caFile] : [])];
      this.#poll = pollFiles({
        files,
        load: this.#load,
        onChange: (s) => {
          const x509 = new X509Certificate(s.identity.certificate);
          this.o.logger.info(
            { certFile: this.certFile, subject: x509.subject, notAfter: x509.validTo },
            'gRPC TLS files changed: serving the new ones',
          );
          for (const l of this.#identity) l(s.identity);
          if (s.ca !== null) for (const l of this.#ca) l(s.ca);
        },
        onError: (err) =>
          this.o.logger.error(
            { certFile: this.certFile, err: err.message },
            'gRPC TLS files changed but cannot serve: keeping the previous ones',
          ),
        ...(this.o.intervalMs !== undefined ? { intervalMs: this.o.intervalMs } : {}),
      });
    }
    return this.#poll.current;
  }

  #stopWhenUnused(): void {
    if (this.#identity.size > 0 || this.#ca.size > 0) return;
    this.#poll?.stop();
    this.#poll = undefined;
  }

  addIdentityCertificateListener(l: IdentityListener): void {
    this.#identity.add(l);
    const s = this.#start();
    // Asynchronously, as grpc-js registers its own watcher only after adding this listener.
    process.nextTick(l, s.identity);
  }

  removeIdentityCertificateListener(l: IdentityListener): void {
    this.#identity.delete(l);
    this.#stopWhenUnused();
  }

  addCaCertificateListener(l: CaListener): void {
    this.#ca.add(l);
    const s = this.#start();
    process.nextTick(l, s.ca);
  }

  removeCaCertificateListener(l: CaListener): void {
    this.#ca.delete(l);
    this.#stopWhenUnused();
  }
}

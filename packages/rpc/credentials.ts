import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
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
  const cert = read('certFile', certFile);
  const key = read('keyFile', keyFile);
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

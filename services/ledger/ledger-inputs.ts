// The files a ledger's configuration names, read and checked once before anything starts. A file
// that cannot be read or parsed stops the start with LedgerError('CONFIG') naming its flag.
import { readFileSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { reloadingServerCredentials, TlsFileError, type TlsFiles } from '../../packages/rpc/index.js';
import { readSkeyFile, readVkeysFile } from '../../packages/runtime/index.js';
import { type Policy, type PrivateKey, type PublicKey, parsePolicy } from '../../packages/tlog/index.js';
import type { LedgerConfig } from './config.js';
import { LedgerError } from './errors.js';

export interface LedgerInputs {
  /** The log's signing key; its name is the origin. */
  key: PrivateKey;
  origin: string;
  collectorKeys: PublicKey[];
  /** The witness policy, when --witness-policy names one. */
  policy: Policy | undefined;
  /** The gRPC server's credentials (plaintext, TLS or mTLS), re-read when the files change. */
  grpcCredentials: grpc.ServerCredentials;
}

/** Runs `fn`, turning what it throws into LedgerError('CONFIG') naming `--flag`. */
export function configError<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new LedgerError('CONFIG', `--${flag}: ${(err as Error).message}`);
  }
}

/** The flag of each gRPC TLS file, to name it when the file cannot serve. */
const TLS_FLAGS: Record<keyof TlsFiles, string> = {
  certFile: 'tls-cert-file',
  keyFile: 'tls-key-file',
  caFile: 'tls-client-ca-file',
};

export function readLedgerInputs(config: LedgerConfig, logger: Logger): LedgerInputs {
  const key = configError('key', () => readSkeyFile(config.keyFile));
  // The checkpoint's signature line names the origin, so the key must carry that name.
  const origin = config.origin === '' ? key.name : config.origin;
  if (key.name !== origin) {
    throw new LedgerError('CONFIG', `--key: key name ${key.name} is not the origin ${origin}`);
  }
  const collectorKeys = readCollectorKeys(config);
  if (collectorKeys.length === 0) {
    logger.warn({ file: config.collectorKeysFile }, 'no collector keys: every change will be rejected');
  }
  const file = config.witnessPolicyFile;
  const policy =
    file === undefined
      ? undefined
      : configError('witness-policy', () => parsePolicy(readFileSync(file, 'utf8')));
  let grpcCredentials: grpc.ServerCredentials;
  try {
    grpcCredentials = reloadingServerCredentials(config.grpcTls ?? {}, { logger });
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err;
    throw new LedgerError('CONFIG', `--${TLS_FLAGS[err.file]}: ${err.message}`);
  }
  return { key, origin, collectorKeys, policy, grpcCredentials };
}

export function readCollectorKeys(config: LedgerConfig): PublicKey[] {
  return configError('collector-keys', () => readVkeysFile(config.collectorKeysFile));
}

/**
 * The collector keys for a reload (SIGHUP). An empty file is most likely one being rewritten in
 * place; taking it would reject every change until the next reload, so it is refused.
 */
export function reloadedCollectorKeys(config: LedgerConfig): PublicKey[] {
  const keys = readCollectorKeys(config);
  if (keys.length === 0) {
    throw new LedgerError('CONFIG', `--collector-keys: ${config.collectorKeysFile} holds no keys`);
  }
  return keys;
}

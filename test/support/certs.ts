// Throwaway certificate authorities and certificates for TLS tests, made with the openssl command
// line (P-256 keys, valid one day). Shared by every test that serves or dials TLS.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The skip reason for TLS tests on a machine without openssl. */
export const NO_OPENSSL =
  'skipped: the openssl command line is not installed (needed to make test certificates)';

/** Whether an openssl binary is on PATH. */
export function haveOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

/** A PEM certificate and its unencrypted PEM key, as paths. */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A self-signed CA: dir/<name>.crt and dir/<name>.key. */
export function makeCa(dir: string, name: string): CertFiles {
  openssl(
    dir,
    'req',
    '-x509',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/**
 * A certificate dir/<name>.crt (key dir/<name>.key) signed by the CA dir/<ca>.crt, for a server or
 * a client. It names 127.0.0.1 and localhost, so tests can dial either.
 */
export function makeLeaf(
  dir: string,
  ca: string,
  name: string,
  usage: 'serverAuth' | 'clientAuth' | 'serverAuth,clientAuth',
): CertFiles {
  openssl(dir, 'req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(
    join(dir, `${name}.ext`),
    `basicConstraints=CA:FALSE\nextendedKeyUsage=${usage}\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/**
 * The usual set in dir: CAs `ca` and `rogue-ca`; `server` and `client` from `ca`; `rogue-client`
 * from `rogue-ca` (a well-formed client certificate that a server trusting `ca` must refuse).
 */
export function makeTestPki(dir: string): void {
  makeCa(dir, 'ca');
  makeCa(dir, 'rogue-ca');
  makeLeaf(dir, 'ca', 'server', 'serverAuth');
  makeLeaf(dir, 'ca', 'client', 'clientAuth');
  makeLeaf(dir, 'rogue-ca', 'rogue-client', 'clientAuth');
}

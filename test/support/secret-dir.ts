// A directory laid out as the kubelet mounts a Secret, so tests rotate files the way cert-manager
// does in a cluster: every version in its own directory, `..data` a symlink to the current one,
// and each file a symlink through `..data`. A new version becomes visible in one atomic rename.
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';

export class SecretDir {
  #version = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** The path a service is configured with: `<dir>/<name>`, a symlink into the current version. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes a new version holding `files` and makes it current with one rename of `..data`. */
  publish(files: Record<string, string | Buffer>): void {
    const version = `..v${++this.#version}`;
    mkdirSync(join(this.dir, version));
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(this.dir, version, name), content, { mode: 0o600 });
      if (this.#version === 1) symlinkSync(join('..data', name), join(this.dir, name));
    }
    symlinkSync(version, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
  }
}

/** The SHA-256 fingerprint of a PEM certificate file, as Node prints it. */
export function fingerprintOf(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).fingerprint256;
}

/**
 * The fingerprint of the certificate a TLS server on 127.0.0.1:`port` presents to a new connection
 * (not verified: which certificate it is, is the question).
 */
export function servedFingerprint(port: number, alpn?: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      rejectUnauthorized: false,
      ...(alpn !== undefined ? { ALPNProtocols: alpn } : {}),
    });
    s.once('secureConnect', () => {
      const fp = s.getPeerX509Certificate()?.fingerprint256 ?? '';
      s.destroy();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

/** Polls `check` until it returns true, for at most `ms`. */
export async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

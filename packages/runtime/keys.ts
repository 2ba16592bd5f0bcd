// Key files: one skey line (mode 0600) and vkey lists. Parsing is packages/tlog's; this is the I/O.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { type PrivateKey, type PublicKey, parseSkey, parseVkey } from '../tlog/index.js';

/** Reads a signer key file (one skey line). */
export function readSkeyFile(path: string): PrivateKey {
  return parseSkey(readFileSync(path, 'utf8').trim());
}

/** Writes PREFIX.key (skey, mode 0600) and PREFIX.vkey (vkey line). */
export function writeKeyFiles(prefix: string, skey: string, vkey: string): void {
  writeFileSync(`${prefix}.key`, `${skey}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(`${prefix}.key`, 0o600);
  writeFileSync(`${prefix}.vkey`, `${vkey}\n`);
}

/** Parses vkey lines; blank lines and lines starting with # are ignored. Errors name the line. */
export function parseVkeyList(text: string, source = 'vkeys'): PublicKey[] {
  const keys: PublicKey[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      keys.push(parseVkey(line));
    } catch (err) {
      throw new Error(`${source}:${i + 1}: ${(err as Error).message}`);
    }
  }
  return keys;
}

export function readVkeysFile(path: string): PublicKey[] {
  return parseVkeyList(readFileSync(path, 'utf8'), path);
}

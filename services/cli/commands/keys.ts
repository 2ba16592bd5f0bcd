// `ingress-ledger keys generate`: a new Ed25519 key pair as C2SP skey/vkey files (DESIGN 3.4).
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { writeKeyFiles } from '../../../packages/runtime/index.js';
import { cosignatureVkey, generateKey, isValidKeyName } from '../../../packages/tlog/index.js';
import { CliError } from '../errors.js';
import { fields, printJson, println } from '../output.js';

interface GenerateOptions {
  name: string;
  out: string;
  witness?: boolean;
  force?: boolean;
  json?: boolean;
}

export function keysCommand(): Command {
  const keys = new Command('keys').description('manage signing keys');
  keys
    .command('generate')
    .description('write a new Ed25519 key pair: PREFIX.key (skey, mode 0600) and PREFIX.vkey')
    .requiredOption('--name <name>', 'key name: the log origin, a witness name, or collector/<cluster>')
    .requiredOption('--out <prefix>', 'path prefix of the files to write')
    .option('--witness', 'write the cosignature/v1 vkey (type 0x04) of a witness')
    .option('--force', 'overwrite existing files')
    .option('--json', 'print the result as JSON')
    .action((o: GenerateOptions) => generate(o));
  return keys;
}

function generate(o: GenerateOptions): void {
  if (!isValidKeyName(o.name))
    throw new CliError('USAGE', `--name "${o.name}": a key name has no spaces and no "+"`);
  for (const f of [`${o.out}.key`, `${o.out}.vkey`]) {
    if (o.force !== true && existsSync(f))
      throw new CliError('USAGE', `${f} exists; pass --force to overwrite it`);
  }
  const key = generateKey(o.name);
  const vkey = o.witness === true ? cosignatureVkey(key) : key.vkey;
  try {
    writeKeyFiles(o.out, key.skey, vkey);
  } catch (err) {
    throw new CliError('CONFIG', `--out ${o.out}: ${(err as NodeJS.ErrnoException).code ?? 'cannot write'}`);
  }
  if (o.json === true) {
    printJson({
      name: o.name,
      vkey,
      keyFile: `${o.out}.key`,
      vkeyFile: `${o.out}.vkey`,
      witness: o.witness === true,
    });
    return;
  }
  println(
    fields([
      ['vkey', vkey],
      ['private key', `${o.out}.key (mode 0600: keep it secret)`],
      ['public key', `${o.out}.vkey`],
    ]),
  );
}

// `ingress-ledger keys generate`: a new Ed25519 key pair as C2SP skey/vkey files (DESIGN 3.4), and,
// with --k8s-secret, the same two files as a Kubernetes Secret manifest. `keys nats-user`: a NATS
// user nkey (the seed a service reads with --nats-nkey-file, the public key the server lists), with
// --k8s-secret the seed as a Secret, so no other tool is needed to set up NATS users.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { nkeys } from '@nats-io/nats-core';
import { Command, InvalidArgumentError } from 'commander';
import { writeKeyFiles } from '../../../packages/runtime/index.js';
import { cosignatureVkey, generateKey, isValidKeyName } from '../../../packages/tlog/index.js';
import { CliError } from '../errors.js';
import { isNamespace, isSecretDataKey, isSecretName, secretManifest } from '../key-secret.js';
import { fields, printJson, println } from '../output.js';

interface GenerateOptions {
  name: string;
  out: string;
  witness?: boolean;
  k8sSecret?: string;
  namespace?: string;
  force?: boolean;
  json?: boolean;
}

const checked =
  (valid: (s: string) => boolean, what: string) =>
  (text: string): string => {
    if (!valid(text)) throw new InvalidArgumentError(`not a valid ${what}`);
    return text;
  };

export function keysCommand(): Command {
  const keys = new Command('keys').description('manage signing keys');
  const generateCmd = keys
    .command('generate')
    .description('write a new Ed25519 key pair: PREFIX.key (skey, mode 0600) and PREFIX.vkey')
    .requiredOption('--name <name>', 'key name: the log origin, a witness name, or collector/<cluster>')
    .requiredOption('--out <prefix>', 'path prefix of the files to write')
    .option('--witness', 'write the cosignature/v1 vkey (type 0x04) of a witness');
  writerOptions(generateCmd, 'both files').action((o: GenerateOptions) => generate(o));
  const natsUserCmd = keys
    .command('nats-user')
    .description(
      'write a new NATS user nkey: PREFIX.nk (the seed, mode 0600) and PREFIX.pub (its public key)',
    )
    .requiredOption('--out <prefix>', 'path prefix of the files to write');
  writerOptions(natsUserCmd, 'the seed as `seed`').action((o: NatsUserOptions) => natsUser(o));
  return keys;
}

/** The options every key writer takes: the Secret to write as well, --force and --json. */
function writerOptions(cmd: Command, holding: string): Command {
  return cmd
    .option(
      '--k8s-secret <name>',
      `also write PREFIX.secret.yaml (mode 0600): a Kubernetes Secret of that name holding ${holding}`,
      checked(isSecretName, 'Secret name (DNS-1123 subdomain: lower-case letters, digits, "-" and ".")'),
    )
    .option(
      '--namespace <ns>',
      "namespace of the Secret (default: kubectl's current one)",
      checked(isNamespace, 'namespace (DNS-1123 label: lower-case letters, digits and "-", at most 63)'),
    )
    .option('--force', 'overwrite existing files')
    .option('--json', 'print the result as JSON');
}

interface NatsUserOptions {
  out: string;
  k8sSecret?: string;
  namespace?: string;
  force?: boolean;
  json?: boolean;
}

/** The data key of the seed in the Secret: deploy/kubernetes mounts it as <dir>/seed. */
export const NATS_SEED_DATA_KEY = 'seed';

function natsUser(o: NatsUserOptions): void {
  if (o.namespace !== undefined && o.k8sSecret === undefined)
    throw new CliError('USAGE', '--namespace needs --k8s-secret');
  const seedFile = `${o.out}.nk`;
  const publicFile = `${o.out}.pub`;
  const secretFile = `${o.out}.secret.yaml`;
  for (const f of o.k8sSecret === undefined ? [seedFile, publicFile] : [seedFile, publicFile, secretFile]) {
    if (o.force !== true && existsSync(f))
      throw new CliError('USAGE', `${f} exists; pass --force to overwrite it`);
  }
  const user = nkeys.createUser();
  const seed = `${new TextDecoder().decode(user.getSeed())}\n`;
  const publicKey = user.getPublicKey();
  try {
    writeFileSync(seedFile, seed, { mode: 0o600 });
    chmodSync(seedFile, 0o600);
    writeFileSync(publicFile, `${publicKey}\n`);
    if (o.k8sSecret !== undefined) {
      const manifest = secretManifest({
        name: o.k8sSecret,
        ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
        description: `ingress-ledger NATS user ${publicKey} (holds its seed: apply it, then delete this file)`,
        data: [[NATS_SEED_DATA_KEY, Buffer.from(seed)]],
      });
      writeFileSync(secretFile, manifest, { mode: 0o600 });
      chmodSync(secretFile, 0o600);
    }
  } catch (err) {
    throw new CliError('CONFIG', `--out ${o.out}: ${(err as NodeJS.ErrnoException).code ?? 'cannot write'}`);
  }
  if (o.json === true) {
    printJson({
      publicKey,
      seedFile,
      publicKeyFile: publicFile,
      ...(o.k8sSecret === undefined ? {} : { secretFile, secretName: o.k8sSecret }),
    });
    return;
  }
  println(
    fields([
      ['public key', `${publicKey} (list it in the NATS server's users)`],
      ['seed', `${seedFile} (mode 0600: the service's --nats-nkey-file; keep it secret)`],
      ...(o.k8sSecret === undefined
        ? []
        : [
            ['secret', `${secretFile} (Secret ${o.k8sSecret}: kubectl apply -f it, then delete it)`] as const,
          ]),
    ]),
  );
}

function generate(o: GenerateOptions): void {
  if (!isValidKeyName(o.name))
    throw new CliError('USAGE', `--name "${o.name}": a key name has no spaces and no "+"`);
  if (o.namespace !== undefined && o.k8sSecret === undefined)
    throw new CliError('USAGE', '--namespace needs --k8s-secret');
  const base = basename(o.out);
  if (o.k8sSecret !== undefined && !isSecretDataKey(`${base}.vkey`))
    throw new CliError(
      'USAGE',
      `--out ${o.out}: "${base}" cannot name a Secret's data (letters, digits, "-", "_", ".")`,
    );
  const files = [`${o.out}.key`, `${o.out}.vkey`];
  const secretFile = `${o.out}.secret.yaml`;
  for (const f of o.k8sSecret === undefined ? files : [...files, secretFile]) {
    if (o.force !== true && existsSync(f))
      throw new CliError('USAGE', `${f} exists; pass --force to overwrite it`);
  }
  const key = generateKey(o.name);
  const vkey = o.witness === true ? cosignatureVkey(key) : key.vkey;
  try {
    writeKeyFiles(o.out, key.skey, vkey);
    if (o.k8sSecret !== undefined) {
      // The Secret holds exactly the bytes of the files, so a pod mounting it sees the same files.
      const manifest = secretManifest({
        name: o.k8sSecret,
        ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
        description: `ingress-ledger key pair "${o.name}" (holds the private key: apply it, then delete this file)`,
        data: [
          [`${base}.key`, readFileSync(`${o.out}.key`)],
          [`${base}.vkey`, readFileSync(`${o.out}.vkey`)],
        ],
      });
      writeFileSync(secretFile, manifest, { mode: 0o600, flag: 'w' });
      chmodSync(secretFile, 0o600);
    }
  } catch (err) {
    throw new CliError('CONFIG', `--out ${o.out}: ${(err as NodeJS.ErrnoException).code ?? 'cannot write'}`);
  }
  if (o.json === true) {
    printJson({
      name: o.name,
      vkey,
      keyFile: `${o.out}.key`,
      vkeyFile: `${o.out}.vkey`,
      ...(o.k8sSecret === undefined ? {} : { secretFile, secretName: o.k8sSecret }),
      witness: o.witness === true,
    });
    return;
  }
  println(
    fields([
      ['vkey', vkey],
      ['private key', `${o.out}.key (mode 0600: keep it secret)`],
      ['public key', `${o.out}.vkey`],
      ...(o.k8sSecret === undefined
        ? []
        : [
            ['secret', `${secretFile} (Secret ${o.k8sSecret}: kubectl apply -f it, then delete it)`] as const,
          ]),
    ]),
  );
}

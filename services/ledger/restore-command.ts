// `ingress-ledger restore --from DIR|s3://BUCKET/PREFIX --data-dir DIR --policy FILE [--key FILE]`:
// the disaster-recovery path (docs/operations.md). The CLI registers this command. A refused
// export is ExportError VERIFY_FAILED (exit 1, naming the index); bad flags or a non-empty data
// dir exit 2. Afterwards, start the ledger on the data dir with the log's key, and run `reindex`.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { checkpointCheck, ExportError, openLayout, parseLocation } from '../../packages/export/index.js';
import { readSkeyFile } from '../../packages/runtime/index.js';
import { type Policy, parsePolicy } from '../../packages/tlog/index.js';
import { restoreLedger } from './restore.js';

/** A policy is a few lines per log and witness. */
const MAX_POLICY_BYTES = 64 * 1024;

interface RestoreFlags {
  from: string;
  dataDir: string;
  policy: string;
  key?: string;
}

export function restoreCommand(): Command {
  return new Command('restore')
    .description('rebuild a ledger data dir from an export, verifying every tile, leaf and body first')
    .requiredOption('--from <dir|s3-url>', 'the export: a directory or s3://BUCKET/PREFIX')
    .requiredOption('--data-dir <dir>', 'the new ledger data directory (must be empty or missing)')
    .requiredOption(
      '--policy <file>',
      'tlog-policy file: the log key, witnesses and quorum the checkpoint must meet',
    )
    .option(
      '--key <file>',
      "the log's signer key file, checked to be the key the export's checkpoints are signed with",
    )
    .action((o: RestoreFlags) => restore(o));
}

function readPolicy(path: string): Policy {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_POLICY_BYTES) throw new Error(`larger than ${MAX_POLICY_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (err) {
    throw new ExportError('USAGE', `--policy ${path}: ${(err as Error).message}`);
  }
  try {
    return parsePolicy(text);
  } catch (err) {
    throw new ExportError('USAGE', `--policy ${path}: ${(err as Error).message}`);
  }
}

async function restore(o: RestoreFlags): Promise<void> {
  const policy = readPolicy(o.policy);
  if (o.key !== undefined) {
    let vkey: string;
    try {
      vkey = readSkeyFile(o.key).vkey;
    } catch (err) {
      throw new ExportError('USAGE', `--key ${o.key}: ${(err as Error).message}`);
    }
    if (!policy.logs.some((l) => l.vkey.vkey === vkey))
      throw new ExportError('USAGE', `--key ${o.key}: not the log key of --policy`);
  }
  const at = parseLocation(o.from, '--from');
  if (at.kind === 'http')
    throw new ExportError('USAGE', `--from ${o.from}: restore reads a directory or s3://`);
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  const r = await restoreLedger({
    source: openLayout(at, 'read'),
    dataDir: o.dataDir,
    check: checkpointCheck({ policy }),
    onProgress: (done, total) => {
      if (tty) process.stderr.write(`\rrestore: ${done}/${total} entries`);
    },
  });
  if (tty) process.stderr.write('\n');
  process.stdout.write(
    `restore: ${o.dataDir}: ${r.origin} at tree size ${r.size}, every tile, leaf and body verified ` +
      `(${((Date.now() - started) / 1000).toFixed(1)}s); next: ingress-ledger reindex --data-dir ${o.dataDir}, then start the ledger with its key\n`,
  );
}

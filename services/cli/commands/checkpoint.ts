// `ingress-ledger checkpoint`: the ledger's latest cosigned checkpoint, verified when a policy is given.
import { Command } from 'commander';
import { parseCheckpoint, parseNote } from '../../../packages/tlog/index.js';
import { endpointsFor, resolvePolicy } from '../client-config.js';
import { type ClientOptions, openLedger, withClientOptions } from '../client-options.js';
import { CliError } from '../errors.js';
import { callFailed } from '../ledger-client.js';
import { b64, fields, green, io, printJson, println, yellow } from '../output.js';
import { checkCheckpoint } from '../verification/checkpoint-check.js';

interface CheckpointOptions extends ClientOptions {
  policy?: string;
  note?: boolean;
}

export function checkpointCommand(): Command {
  return withClientOptions(new Command('checkpoint'))
    .description("show the ledger's latest published checkpoint (verified against --policy when given)")
    .option('--policy <file>', 'tlog-policy to verify the log signature and witness quorum with')
    .option('--note', 'print only the checkpoint note, exactly as served')
    .action((o: CheckpointOptions) => checkpoint(o));
}

async function checkpoint(o: CheckpointOptions): Promise<void> {
  const policy = resolvePolicy(o.policy, endpointsFor(o))?.policy;
  const api = openLedger(o);
  let note: string;
  try {
    note = (await api.getCheckpoint()).note;
  } catch (err) {
    throw callFailed(o.grpc, err);
  } finally {
    api.close();
  }
  const verified = policy === undefined ? undefined : checkCheckpoint(note, policy);
  let parsed: ReturnType<typeof parseCheckpoint>;
  let signers: string[];
  try {
    const n = parseNote(note);
    parsed = parseCheckpoint(n.text);
    signers = n.signatures.map((s) => s.name);
  } catch (err) {
    throw new CliError(
      'UNAVAILABLE',
      `ledger ${o.grpc} served a malformed checkpoint: ${(err as Error).message}`,
    );
  }
  if (o.note === true) {
    io.out(note);
    return;
  }
  if (o.json === true) {
    printJson({
      origin: parsed.origin,
      size: parsed.size,
      rootHash: b64(parsed.rootHash),
      signers,
      verified: verified !== undefined,
      ...(verified !== undefined ? { cosigners: verified.cosigners, logVkey: verified.logVkey } : {}),
      note,
    });
    return;
  }
  println(
    fields([
      ['origin', parsed.origin],
      ['tree size', parsed.size.toString()],
      ['root hash', b64(parsed.rootHash)],
      ['signed by', signers.join(', ')],
      [
        'verified',
        verified === undefined
          ? yellow('no (pass --policy to check the signatures)')
          : green(
              `yes: log signature and quorum (${verified.cosigners.join(', ') || 'no witnesses required'})`,
            ),
      ],
    ]),
  );
}

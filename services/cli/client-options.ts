// Flags shared by the commands that read a ledger over gRPC, and the connection they describe.
import type { Command } from 'commander';
import type { Change } from '../../packages/change/index.js';
import { parseNote } from '../../packages/tlog/index.js';
import { parseHostPort, parseInterval } from './flags.js';
import { connectLedger, type LedgerApi } from './ledger-client.js';

export interface ClientOptions {
  grpc: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  timeout?: number;
  json?: boolean;
}

/**
 * The gRPC client flags. With `orTiles`, --grpc is optional and --tiles is offered in its place
 * (the command checks that exactly one is given: tiles-options.ts sourceOf).
 */
export function withClientOptions(cmd: Command, o: { orTiles?: boolean } = {}): Command {
  const withSource =
    o.orTiles === true
      ? cmd
          .option('--grpc <host:port>', "address of the ledger's gRPC API", parseHostPort)
          .option(
            '--tiles <url|dir>',
            "the log's static tlog-tiles instead of gRPC: the ledger's tiles URL, a mirror, or an export directory",
          )
      : cmd.requiredOption('--grpc <host:port>', "address of the ledger's gRPC API", parseHostPort);
  return withSource
    .option('--tls-ca <file>', 'CA bundle (PEM) to verify the ledger with; enables TLS')
    .option('--tls-cert <file>', 'client certificate (PEM) for mutual TLS')
    .option('--tls-key <file>', 'client key (PEM) for mutual TLS')
    .option('--timeout <duration>', 'time limit of each call, like 30s', parseInterval)
    .option('--json', 'print JSON, one object per line');
}

export function openLedger(o: ClientOptions): LedgerApi {
  return connectLedger(
    o.grpc,
    {
      ...(o.tlsCa !== undefined ? { caFile: o.tlsCa } : {}),
      ...(o.tlsCert !== undefined ? { certFile: o.tlsCert } : {}),
      ...(o.tlsKey !== undefined ? { keyFile: o.tlsKey } : {}),
    },
    o.timeout,
  );
}

/**
 * The change a leaf records, for display only: its signature is not checked here (`verify` and
 * `audit` do that), so callers present it as what the server says.
 */
export function changeOfLeaf(leaf: Uint8Array): Change | undefined {
  try {
    const text = parseNote(leaf).text;
    return JSON.parse(text) as Change;
  } catch {
    return undefined;
  }
}

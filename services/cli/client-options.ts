// Flags shared by the commands that read a ledger over gRPC, and the connection they describe.
// Each may also come from the environment or an endpoints file (client-config.ts).
import type { Command } from 'commander';
import type { Change } from '../../packages/change/index.js';
import { parseNote } from '../../packages/tlog/index.js';
import {
  endpointsFor,
  resolveCollectorKeys,
  resolveGrpc,
  resolvePolicy,
  resolveTlsFile,
} from './client-config.js';
import { CliError } from './errors.js';
import { collect, parseHostPort, parseInterval } from './flags.js';
import { connectLedger, type LedgerApi } from './ledger-client.js';
import { EntryVerifier } from './verification/entry-verifier.js';

export interface ClientOptions {
  /** Set by openLedger when it came from the environment or an endpoints file. */
  grpc: string;
  endpoints?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  timeout?: number;
  json?: boolean;
}

/**
 * The gRPC client flags. --grpc may also come from the environment or an endpoints file. With
 * `orTiles`, --tiles is offered in its place (tiles-options.ts sourceOf: not both).
 */
export function withClientOptions(cmd: Command, o: { orTiles?: boolean } = {}): Command {
  const withGrpc = cmd
    .option(
      '--grpc <host:port>',
      "address of the ledger's gRPC API (default: $INGRESS_LEDGER_GRPC, or the endpoints file's)",
      parseHostPort,
    )
    .option(
      '--endpoints <file>',
      "endpoints.json written by `up`: the ledger's address and the keys to verify with (default: $INGRESS_LEDGER_ENDPOINTS, or ./.ingress-ledger/endpoints.json when present)",
    );
  const withSource =
    o.orTiles === true
      ? withGrpc.option(
          '--tiles <url|dir>',
          "the log's static tlog-tiles instead of gRPC: the ledger's tiles URL, a mirror, or an export directory",
        )
      : withGrpc;
  return withSource
    .option('--tls-ca <file>', 'CA bundle (PEM) to verify the ledger with; enables TLS')
    .option('--tls-cert <file>', 'client certificate (PEM) for mutual TLS')
    .option('--tls-key <file>', 'client key (PEM) for mutual TLS')
    .option('--timeout <duration>', 'time limit of each call, like 30s', parseInterval)
    .option('--json', 'print JSON, one object per line');
}

export function openLedger(o: ClientOptions, env: NodeJS.ProcessEnv = process.env): LedgerApi {
  const endpoints = endpointsFor(o, env);
  o.grpc = resolveGrpc(o.grpc as string | undefined, endpoints, env);
  const caFile = resolveTlsFile(o.tlsCa, 'tlsCa', env);
  const certFile = resolveTlsFile(o.tlsCert, 'tlsCert', env);
  const keyFile = resolveTlsFile(o.tlsKey, 'tlsKey', env);
  return connectLedger(
    o.grpc,
    {
      ...(caFile !== undefined ? { caFile } : {}),
      ...(certFile !== undefined ? { certFile } : {}),
      ...(keyFile !== undefined ? { keyFile } : {}),
    },
    o.timeout,
  );
}

/** Flags of the commands that verify what they show (search, history, entries). */
export interface VerifyingOptions extends ClientOptions {
  policy?: string;
  collectorVkey?: string[];
  collectorVkeys?: string[];
  /** false with --no-verify. */
  verify?: boolean;
  /** false with --no-collector-check. */
  collectorCheck?: boolean;
}

export function withVerifyOptions(cmd: Command): Command {
  return cmd
    .option(
      '--policy <file>',
      'tlog-policy to verify every shown entry with (default: $INGRESS_LEDGER_POLICY, or derived from the endpoints file)',
    )
    .option('--collector-vkey <vkey>', 'a trusted collector vkey (repeatable)', collect)
    .option(
      '--collector-vkeys <file>',
      'a file of trusted collector vkeys, one per line (repeatable)',
      collect,
    )
    .option('--no-verify', 'show what the ledger says without verifying it, even when a policy is known')
    .option('--no-collector-check', "verify inclusion only, not the collectors' signatures");
}

/**
 * The verifier for a command's shown entries, or undefined when no policy is known (or with
 * --no-verify). A policy without any collector key is a usage error unless --no-collector-check:
 * a verdict must not quietly skip the signature.
 */
export function entryVerifier(
  o: VerifyingOptions,
  api: LedgerApi,
  env: NodeJS.ProcessEnv = process.env,
): EntryVerifier | undefined {
  if (o.verify === false) return undefined;
  const endpoints = endpointsFor(o, env);
  const trusted = resolvePolicy(o.policy, endpoints, env);
  if (trusted === undefined) return undefined;
  if (o.collectorCheck === false) return new EntryVerifier(api, trusted.policy, []);
  const { keys } = resolveCollectorKeys(
    o.collectorVkey ?? [],
    o.collectorVkeys ?? [],
    endpoints,
    trusted.file,
    env,
  );
  if (keys.length === 0) {
    throw new CliError(
      'USAGE',
      `--collector-vkey: a policy is known (${trusted.source}) but no collector key: give --collector-vkey or --collector-vkeys, or --no-collector-check`,
    );
  }
  return new EntryVerifier(api, trusted.policy, keys);
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

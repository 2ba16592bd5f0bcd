// Where a client command finds the ledger and the keys it trusts, so they need not be repeated:
// a flag, else an INGRESS_LEDGER_* environment variable, else an endpoints file (the
// `endpoints.json` that `up` writes, named by --endpoints, INGRESS_LEDGER_ENDPOINTS, or found at
// ./.ingress-ledger/endpoints.json). Every error names the flag the value stands for.
import { existsSync } from 'node:fs';
import { type Policy, type PublicKey, parsePolicy } from '../../packages/tlog/index.js';
import { CliError } from './errors.js';
import { parseHostPort } from './flags.js';
import { collectorKeys, collectorKeysFor, readPolicy, readText } from './inputs.js';

/** Environment variables a client command reads, by the flag each stands for. */
export const CLIENT_ENV = {
  endpoints: 'INGRESS_LEDGER_ENDPOINTS',
  grpc: 'INGRESS_LEDGER_GRPC',
  policy: 'INGRESS_LEDGER_POLICY',
  collectorVkeys: 'INGRESS_LEDGER_COLLECTOR_VKEYS',
  tlsCa: 'INGRESS_LEDGER_TLS_CA',
  tlsCert: 'INGRESS_LEDGER_TLS_CERT',
  tlsKey: 'INGRESS_LEDGER_TLS_KEY',
} as const;

/** The endpoints file `up` writes in its default data dir, used when it exists. */
export const DEFAULT_ENDPOINTS_FILE = '.ingress-ledger/endpoints.json';
/** An endpoints file is a few hundred bytes; anything far larger is not one. */
const MAX_ENDPOINTS_BYTES = 64 * 1024;
/** More keys than this in one list is not a configuration anyone wrote by hand or by `up`. */
const MAX_KEYS = 64;

/** What a client reads from an endpoints file; every field optional, every one checked. */
export interface EndpointsFile {
  path: string;
  grpc?: string;
  logVkey?: string;
  witnessVkeys?: string[];
  collectorVkeys?: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

const envValue = (env: Env, name: string): string | undefined => {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
};

/** Reads and checks an endpoints file; `flag` is what the error messages name. */
export function readEndpoints(path: string, flag = '--endpoints'): EndpointsFile {
  let text: string;
  try {
    text = readText(path, MAX_ENDPOINTS_BYTES, 'endpoints file');
  } catch (err) {
    throw new CliError('CONFIG', `${flag}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CliError('CONFIG', `${flag} ${path}: not JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CliError('CONFIG', `${flag} ${path}: not a JSON object`);
  }
  const o = raw as Record<string, unknown>;
  const out: EndpointsFile = { path };
  const str = (key: string): string | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '' || v.length > 4096) {
      throw new CliError('CONFIG', `${flag} ${path}: "${key}" is not a non-empty string`);
    }
    return v;
  };
  const list = (key: string): string[] | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length > MAX_KEYS || !v.every((s) => typeof s === 'string' && s !== '')) {
      throw new CliError('CONFIG', `${flag} ${path}: "${key}" is not a list of at most ${MAX_KEYS} strings`);
    }
    return v as string[];
  };
  const grpc = str('grpc');
  if (grpc !== undefined) {
    try {
      out.grpc = parseHostPort(grpc);
    } catch (err) {
      throw new CliError('CONFIG', `${flag} ${path}: "grpc": ${(err as Error).message}`);
    }
  }
  const logVkey = str('logVkey');
  if (logVkey !== undefined) out.logVkey = logVkey;
  const witnessVkeys = list('witnessVkeys');
  if (witnessVkeys !== undefined) out.witnessVkeys = witnessVkeys;
  const collectorVkeys = list('collectorVkeys');
  if (collectorVkeys !== undefined) out.collectorVkeys = collectorVkeys;
  return out;
}

/**
 * The endpoints file in effect: --endpoints, else INGRESS_LEDGER_ENDPOINTS, else the default file
 * when it exists and `useDefault` (callers pass false when an address was given by flag or
 * environment: the local `up`'s keys say nothing about another ledger).
 */
export function findEndpoints(
  flag: string | undefined,
  env: Env = process.env,
  useDefault = true,
): EndpointsFile | undefined {
  if (flag !== undefined) return readEndpoints(flag, '--endpoints');
  const fromEnv = envValue(env, CLIENT_ENV.endpoints);
  if (fromEnv !== undefined) return readEndpoints(fromEnv, CLIENT_ENV.endpoints);
  return useDefault && existsSync(DEFAULT_ENDPOINTS_FILE)
    ? readEndpoints(DEFAULT_ENDPOINTS_FILE, DEFAULT_ENDPOINTS_FILE)
    : undefined;
}

const resolved = new WeakMap<object, EndpointsFile | undefined>();

/**
 * The endpoints file of a command's options, read once per command. Call it before the address
 * is resolved (openLedger does): whether --grpc was given decides whether the default applies.
 */
export function endpointsFor(
  o: { grpc?: string; endpoints?: string },
  env: Env = process.env,
): EndpointsFile | undefined {
  if (resolved.has(o)) return resolved.get(o);
  const addressGiven = o.grpc !== undefined || envValue(env, CLIENT_ENV.grpc) !== undefined;
  const e = findEndpoints(o.endpoints, env, !addressGiven);
  resolved.set(o, e);
  return e;
}

/** The ledger address: --grpc > INGRESS_LEDGER_GRPC > the endpoints file's `grpc`. */
export function resolveGrpc(
  flag: string | undefined,
  endpoints: EndpointsFile | undefined,
  env: Env,
): string {
  if (flag !== undefined) return flag;
  const fromEnv = envValue(env, CLIENT_ENV.grpc);
  if (fromEnv !== undefined) {
    try {
      return parseHostPort(fromEnv);
    } catch (err) {
      throw new CliError('USAGE', `${CLIENT_ENV.grpc} (--grpc): ${(err as Error).message}`);
    }
  }
  if (endpoints?.grpc !== undefined) return endpoints.grpc;
  throw new CliError(
    'USAGE',
    `--grpc: no ledger address (give --grpc HOST:PORT, set ${CLIENT_ENV.grpc}, or --endpoints FILE)`,
  );
}

/** A TLS file flag, else its environment variable. */
export function resolveTlsFile(
  flag: string | undefined,
  which: 'tlsCa' | 'tlsCert' | 'tlsKey',
  env: Env,
): string | undefined {
  return flag ?? envValue(env, CLIENT_ENV[which]);
}

export interface TrustedPolicy {
  policy: Policy;
  /** The policy's text, as read or derived. */
  text: string;
  /** The file the policy came from, or a description of where it was derived from. */
  source: string;
  /** A policy file, for finding collector.vkeys beside it. */
  file?: string;
}

/**
 * The policy to verify with: --policy > INGRESS_LEDGER_POLICY > derived from the endpoints
 * file (its log key and every witness key, all witnesses required), or undefined when none.
 */
export function resolvePolicy(
  flag: string | undefined,
  endpoints: EndpointsFile | undefined,
  env: Env = process.env,
): TrustedPolicy | undefined {
  const file = flag ?? envValue(env, CLIENT_ENV.policy);
  if (file !== undefined) return { ...readPolicy(file), source: file, file };
  if (endpoints?.logVkey === undefined) return undefined;
  try {
    const text = policyText(endpoints.logVkey, endpoints.witnessVkeys ?? []);
    return { policy: parsePolicy(text), text, source: `${endpoints.path} (logVkey, witnessVkeys)` };
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'ERROR';
    throw new CliError(
      'CONFIG',
      `--endpoints ${endpoints.path}: no policy from its keys: ${code}: ${(err as Error).message}`,
    );
  }
}

/** A tlog-policy that trusts one log and requires every listed witness. */
export function policyText(logVkey: string, witnessVkeys: readonly string[]): string {
  const names = witnessVkeys.map((_, i) => `w${i + 1}`);
  const lines = [`log ${logVkey}`, ...witnessVkeys.map((v, i) => `witness ${names[i]} ${v}`)];
  if (names.length === 0) lines.push('quorum none');
  else if (names.length === 1) lines.push(`quorum ${names[0]}`);
  else lines.push(`group all-witnesses all ${names.join(' ')}`, 'quorum all-witnesses');
  return `${lines.join('\n')}\n`;
}

/**
 * Collector keys: --collector-vkey/--collector-vkeys > INGRESS_LEDGER_COLLECTOR_VKEYS (a file) >
 * the endpoints file's `collectorVkeys` > collector.vkeys beside the policy file.
 */
export function resolveCollectorKeys(
  texts: readonly string[],
  files: readonly string[],
  endpoints: EndpointsFile | undefined,
  policyFile: string | undefined,
  env: Env = process.env,
): { keys: PublicKey[]; source?: string } {
  if (texts.length > 0 || files.length > 0) return { keys: collectorKeys(texts, files) };
  const fromEnv = envValue(env, CLIENT_ENV.collectorVkeys);
  if (fromEnv !== undefined) return { keys: collectorKeys([], [fromEnv]), source: fromEnv };
  if (endpoints?.collectorVkeys !== undefined && endpoints.collectorVkeys.length > 0) {
    try {
      return { keys: collectorKeys(endpoints.collectorVkeys, []), source: endpoints.path };
    } catch (err) {
      throw new CliError(
        'CONFIG',
        `--endpoints ${endpoints.path}: "collectorVkeys": ${(err as Error).message}`,
      );
    }
  }
  if (policyFile !== undefined) return collectorKeysFor(policyFile, [], []);
  return { keys: [] };
}

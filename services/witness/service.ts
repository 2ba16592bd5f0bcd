// Starts a witness: state, HTTP server, optional metrics endpoint. Configuration is validated here
// once, before anything listens.
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import {
  createLogger,
  createRegistry,
  Readiness,
  type Registry,
  serveMetrics,
} from '../../packages/runtime/index.js';
import { KEY_TYPE_ED25519, type PrivateKey, type PublicKey } from '../../packages/tlog/index.js';
import { WitnessError } from './errors.js';
import { createWitnessServer, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from './http.js';
import { witnessMetrics } from './metrics.js';
import { WitnessState } from './state.js';
import { Witness } from './witness.js';

export interface WitnessConfig {
  dataDir: string;
  /** host:port to serve on; port 0 picks a free one (see RunningWitness.url). */
  listen: string;
  /** The witness's Ed25519 signer key; its name is the witness name. */
  key: PrivateKey;
  /** The logs this witness cosigns for: Ed25519 vkeys whose names are their origins. */
  logs: PublicKey[];
  /** URL path prefix of the endpoints ('' or '/something'); default ''. */
  prefix?: string;
  /** host:port for Prometheus /metrics and the /livez and /readyz probes. */
  metricsListen?: string;
  maxBodyBytes?: bigint;
  requestTimeoutMs?: number;
}

export interface RunningWitness {
  /** The URL prefix, e.g. http://127.0.0.1:PORT; add-checkpoint is at `${url}/add-checkpoint`. */
  url: string;
  /** The cosignature/v1 vkey (type 0x04) to put in a policy. */
  vkey: string;
  name: string;
  /** What /readyz reports: the state database can be written. */
  readiness: Readiness;
  close(): Promise<void>;
}

const PREFIX_RE = /^(?:\/[A-Za-z0-9._~-]+)*$/;

/** Splits host:port (IPv6 in brackets); throws CONFIG naming the flag. */
export function parseListen(text: string, flag = 'listen'): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(0|[1-9]\d{0,4})$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || port > 65535)
    throw new WitnessError('CONFIG', `--${flag}: want HOST:PORT, got "${text}"`);
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port };
}

function validate(c: WitnessConfig): void {
  if (c.logs.length === 0) throw new WitnessError('CONFIG', '--log: at least one log vkey is required');
  for (const l of c.logs) {
    if (l.type !== KEY_TYPE_ED25519)
      throw new WitnessError('CONFIG', `--log: ${l.vkey} is not an Ed25519 vkey`);
  }
  if (c.prefix !== undefined && !PREFIX_RE.test(c.prefix))
    throw new WitnessError('CONFIG', 'prefix: invalid path');
  if (c.maxBodyBytes !== undefined && c.maxBodyBytes < 1024n)
    throw new WitnessError('CONFIG', 'max body bytes: at least 1024');
  if (c.requestTimeoutMs !== undefined && !(c.requestTimeoutMs > 0))
    throw new WitnessError('CONFIG', 'request timeout: must be positive');
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export async function startWitness(
  config: WitnessConfig,
  deps: { logger?: Logger; registry?: Registry } = {},
): Promise<RunningWitness> {
  validate(config);
  const { host, port } = parseListen(config.listen);
  const metricsAt =
    config.metricsListen === undefined ? undefined : parseListen(config.metricsListen, 'metrics-listen');
  const logger = deps.logger ?? createLogger('witness');
  const registry = deps.registry ?? createRegistry('witness');
  const state = new WitnessState(config.dataDir);
  const readiness = new Readiness().add('store', () => state.check());
  const witness = new Witness(config.key, config.logs, state);
  const prefix = config.prefix ?? '';
  const server = createWitnessServer(
    witness,
    {
      prefix,
      maxBodyBytes: config.maxBodyBytes ?? BigInt(DEFAULT_MAX_BODY_BYTES),
      requestTimeoutMs: config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
    logger.child({ witness: witness.name }),
    witnessMetrics(registry),
  );
  let bound: number;
  try {
    bound = await listen(server, host, port);
  } catch (err) {
    state.close();
    throw err;
  }
  const metricsServer =
    metricsAt === undefined
      ? undefined
      : await serveMetrics(registry, metricsAt.host, metricsAt.port, readiness);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${bound}${prefix}`;
  logger.info(
    { url, name: witness.name, vkey: witness.vkey, origins: witness.origins() },
    'witness listening',
  );
  let closed = false;
  return {
    url,
    vkey: witness.vkey,
    name: witness.name,
    readiness,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([
        closeServer(server),
        metricsServer === undefined ? undefined : closeServer(metricsServer),
      ]);
      state.close();
    },
  };
}

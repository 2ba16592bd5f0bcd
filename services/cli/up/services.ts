// How `up` starts the witness, ledger and collector. Their modules belong to other parts of the
// project and are loaded at run time, so this is the one place that knows their config shapes.
import type { PrivateKey } from '../../../packages/tlog/index.js';
import { CliError } from '../errors.js';

export interface Running {
  close(): Promise<void>;
}

async function load(path: string, name: string): Promise<(...args: unknown[]) => Promise<unknown>> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(new URL(path, import.meta.url).href)) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new CliError('CONFIG', `this build has no ${name} (${path} is missing)`);
    }
    throw err;
  }
  const fn = mod[name];
  if (typeof fn !== 'function') throw new CliError('CONFIG', `this build has no ${name}`);
  return fn as (...args: unknown[]) => Promise<unknown>;
}

export interface WitnessStart {
  dataDir: string;
  listen: string;
  key: PrivateKey;
  logVkeys: string[];
}

export async function startWitnessService(c: WitnessStart): Promise<Running & { url: string }> {
  const start = await load('../../witness/index.js', 'startWitness');
  const w = (await start({ dataDir: c.dataDir, listen: c.listen, key: c.key, logs: c.logVkeys })) as Running & {
    url?: string;
    address?: string;
    port?: number;
  };
  const url = w.url ?? (w.port !== undefined ? `http://127.0.0.1:${w.port}` : `http://${w.address ?? c.listen}`);
  return { url, close: () => w.close() };
}

export interface LedgerStart {
  dataDir: string;
  origin: string;
  key: PrivateKey;
  natsUrl: string;
  grpcListen: string;
  policyFile: string;
  collectorVkeys: string[];
}

export async function startLedgerService(c: LedgerStart): Promise<Running & { grpc: string }> {
  const start = await load('../../ledger/index.js', 'startLedger');
  const l = (await start({
    dataDir: c.dataDir,
    origin: c.origin,
    key: c.key,
    nats: { url: c.natsUrl },
    grpcListen: c.grpcListen,
    policyFile: c.policyFile,
    collectorVkeys: c.collectorVkeys,
  })) as Running & { grpcAddress?: string; grpcPort?: number };
  const grpc = l.grpcAddress ?? `127.0.0.1:${l.grpcPort ?? 0}`;
  return { grpc, close: () => l.close() };
}

export interface CollectorStart {
  cluster: string;
  key: PrivateKey;
  natsUrl: string;
  webhookListen: string;
  webhookToken: string;
  tls?: { certFile: string; keyFile: string };
}

export async function startCollectorService(c: CollectorStart): Promise<Running & { webhookUrl: string }> {
  const { startCollector } = await import('../../collector/index.js');
  const col = await startCollector({
    cluster: c.cluster,
    key: c.key,
    nats: { url: c.natsUrl },
    webhookListen: c.webhookListen,
    webhookToken: c.webhookToken,
    ...(c.tls !== undefined ? { tls: c.tls } : {}),
  });
  return { webhookUrl: col.webhookUrl, close: () => col.close() };
}

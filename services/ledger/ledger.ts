// Wires one ledger process: store, search index, verify pool, ingest, checkpointer, gRPC API and
// metrics. Configuration arrives validated (config.ts); files named in it are read here, once.

import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { COLLECTOR_PREFIX } from '../../packages/change/index.js';
import { file_ingressledger_v1_ledger, Ledger } from '../../packages/proto/index.js';
import {
  addHealthAndReflection,
  addService,
  listen,
  reloadingServerCredentials,
  TlsFileError,
  type TlsFiles,
} from '../../packages/rpc/index.js';
import {
  alertsSubject,
  connectNats,
  createLogger,
  createRegistry,
  encodeAlert,
  ensureStreams,
  lockDataDir,
  Readiness,
  readSkeyFile,
  readVkeysFile,
  serveMetrics,
  watchNatsConnection,
  watchReadiness,
} from '../../packages/runtime/index.js';
import { describeCrypto, type PrivateKey, type PublicKey, parsePolicy } from '../../packages/tlog/index.js';
import { ledgerService } from './api.js';
import { Checkpointer } from './checkpointer.js';
import type { LedgerConfig } from './config.js';
import { type CheckpointCosigner, withoutWitnesses } from './cosigning.js';
import { LedgerError } from './errors.js';
import { Ingest } from './ingest.js';
import { ledgerMetrics } from './metrics.js';
import { SearchFollower, SearchIndex } from './search/index.js';
import { LogStore } from './store.js';
import { VerifyPool } from './verify-pool.js';
import { createWitnessCosigner } from './witness-cosigner.js';
import { ledgerGate, sharedGateBuffer } from './write-gate.js';

/** How long close() lets open RPC streams finish before they are cut. */
const GRPC_SHUTDOWN_GRACE_MS = 2000;

/** The gRPC service whose health follows the ledger's readiness (with the server's, ""). */
const LEDGER_SERVICE = 'ingressledger.v1.Ledger';

export interface RunningLedger {
  /** host:port actually bound. */
  grpcAddress: string;
  /** What /readyz and the gRPC health status report. */
  readiness: Readiness;
  origin: string;
  logVkey: string;
  /**
   * Re-reads the collector keys file (SIGHUP). A file that cannot be read or parsed, or holds no
   * keys, changes nothing: the error is logged and thrown (CONFIG), and the previous keys stay.
   */
  reloadCollectorKeys(): void;
  /** Stops ingest after the batch in flight, signs a last checkpoint, closes everything. */
  close(): Promise<void>;
}

function configError<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new LedgerError('CONFIG', `--${flag}: ${(err as Error).message}`);
  }
}

/** The flag of each gRPC TLS file, to name it when the file cannot serve. */
const TLS_FLAGS: Record<keyof TlsFiles, string> = {
  certFile: 'tls-cert-file',
  keyFile: 'tls-key-file',
  caFile: 'tls-client-ca-file',
};

function boundAddress(listenAddr: string, port: number): string {
  const at = listenAddr.lastIndexOf(':');
  let host = at < 0 ? listenAddr : listenAddr.slice(0, at);
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  if (host === '[::]') host = '[::1]';
  return `${host}:${port}`;
}

function splitHostPort(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(':');
  return { host: addr.slice(0, at).replace(/^\[|\]$/g, ''), port: Number.parseInt(addr.slice(at + 1), 10) };
}

export async function startLedger(
  config: LedgerConfig,
  deps: { logger?: Logger; registry?: Registry } = {},
): Promise<RunningLedger> {
  const logger = deps.logger ?? createLogger('ledger');
  const registry = deps.registry ?? createRegistry('ledger');
  const key: PrivateKey = configError('key', () => readSkeyFile(config.keyFile));
  // The checkpoint's signature line names the origin, so the key must carry that name.
  const origin = config.origin === '' ? key.name : config.origin;
  if (key.name !== origin) {
    throw new LedgerError('CONFIG', `--key: key name ${key.name} is not the origin ${origin}`);
  }
  const readCollectorKeys = (): PublicKey[] =>
    configError('collector-keys', () => readVkeysFile(config.collectorKeysFile));
  const collectorKeys = readCollectorKeys();
  if (collectorKeys.length === 0) {
    logger.warn({ file: config.collectorKeysFile }, 'no collector keys: every change will be rejected');
  }
  let cosigner: CheckpointCosigner = withoutWitnesses;
  if (config.witnessPolicyFile !== undefined) {
    const file = config.witnessPolicyFile;
    const policy = configError('witness-policy', () => parsePolicy(readFileSync(file, 'utf8')));
    cosigner = configError('witness-policy', () => createWitnessCosigner({ policy, logger, registry }));
  }
  const grpcTls = config.grpcTls ?? {};
  let creds: grpc.ServerCredentials;
  try {
    creds = reloadingServerCredentials(grpcTls, { logger });
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err;
    throw new LedgerError('CONFIG', `--${TLS_FLAGS[err.file]}: ${err.message}`);
  }

  const cleanup: (() => Promise<void> | void)[] = [];
  const undo = async () => {
    for (const fn of cleanup.reverse()) await Promise.resolve(fn()).catch(() => {});
  };
  try {
    // Before anything opens the store: a second ledger on this dir stops here, naming the first.
    const lock = lockDataDir(config.dataDir, 'ledger');
    cleanup.push(() => lock.release());
    const store = new LogStore(config.dataDir);
    cleanup.push(() => store.close());
    const search = config.search
      ? new SearchIndex(store.db, {
          logger,
          registry,
          ...(config.rulesFile !== undefined ? { rulesFile: config.rulesFile } : {}),
        })
      : undefined;
    const nc: NatsConnection = await connectNats({ ...config.nats, name: `ledger ${origin}` });
    cleanup.push(async () => {
      await nc.flush().catch(() => {});
      await nc.close();
    });
    const readiness = new Readiness().add('nats', watchNatsConnection(nc, logger).check);
    let follower: SearchFollower | undefined;
    if (search !== undefined) {
      // The follower writes from its own thread and connection; the ledger's writes go first.
      const gate = sharedGateBuffer();
      const ledgerSide = ledgerGate(gate);
      store.useWriteGate(ledgerSide);
      let reported = 0;
      new Counter({
        name: 'ingress_ledger_ledger_write_gate_wait_seconds_total',
        help: 'Time appends and checkpoints waited for a search follower transaction to commit',
        registers: [registry],
        collect() {
          const total = ledgerSide.waitedMs() / 1000;
          this.inc(total - reported);
          reported = total;
        },
      });
      follower = new SearchFollower(search, {
        logger,
        registry,
        file: store.db.name,
        ...(config.rulesFile !== undefined ? { rulesFile: config.rulesFile } : {}),
        gate,
        logSize: () => store.size,
        publish: (found) => {
          for (const f of found) {
            for (const finding of f.findings) {
              nc.publish(
                alertsSubject(f.cluster),
                encodeAlert({ index: f.index, cluster: f.cluster, ...finding }),
              );
            }
          }
        },
      });
      const f = follower;
      // Stops before the connection closes (cleanup runs in reverse), after the worker's slice
      // commits and its alerts are published; resumes at the next start.
      cleanup.push(() => f.stop());
    }
    follower?.notify();
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, {
      duplicateWindowMs: config.duplicateWindowMs,
      replicas: config.streamReplicas,
    });
    const js = jetstream(nc);

    let checkpointer: Checkpointer | undefined;
    const metrics = ledgerMetrics(registry, () => checkpointer?.ageSeconds ?? 0);
    metrics.treeSize.set(Number(store.size));
    checkpointer = new Checkpointer({
      store,
      key,
      origin,
      cosigner,
      nc,
      logger,
      metrics,
      intervalMs: config.checkpointIntervalMs,
      republishIntervalMs: config.checkpointRepublishIntervalMs,
    });
    await checkpointer.start();
    const cp = checkpointer;
    readiness.add('checkpoints', () => cp.roundCheck());
    if (config.witnessPolicyFile !== undefined) {
      readiness.add('witness-quorum', () => cp.quorumCheck(config.witnessQuorumGraceMs));
    }
    if (cosigner.close !== undefined) {
      const c = cosigner;
      cleanup.push(() => c.close?.());
    }
    cleanup.push(() => cp.stop());

    const closing = new AbortController();
    const server = new grpc.Server();
    addService(server, Ledger, ledgerService({ store, checkpointer: cp, search, closing: closing.signal }), {
      logger,
      observe: (method, code, seconds) => metrics.rpcSeconds.observe({ method, code: String(code) }, seconds),
    });
    const health = addHealthAndReflection(server, [file_ingressledger_v1_ledger], [LEDGER_SERVICE]);
    const setServing = (ready: boolean) => {
      health.setServing('', ready);
      health.setServing(LEDGER_SERVICE, ready);
    };
    const port = await listen(server, config.grpcListen, creds);
    cleanup.push(async () => {
      closing.abort();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, GRPC_SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    });

    const pool = new VerifyPool(collectorKeys, config.verifyWorkers);
    cleanup.push(() => pool.close());
    const ingest = new Ingest(
      {
        nc,
        js,
        jsm,
        store,
        pool,
        logger,
        metrics,
        onAppended: (backlog) => {
          follower?.notify(backlog);
          cp.notify();
        },
      },
      { batchSize: config.batchSize, batchAgeMs: config.batchAgeMs, ackWaitMs: config.ackWaitMs },
    );
    await ingest.start();
    cleanup.push(() => ingest.stop());
    readiness.add('store', () => ingest.storeCheck());

    // gRPC health follows readiness, so a load balancer's health check drains a ledger that cannot
    // ingest or publish, and takes it back once it can.
    setServing(readiness.ready);
    const unwatch = watchReadiness(readiness, (ready, failing) => {
      setServing(ready);
      if (ready) logger.info('ready again');
      else logger.warn({ failing }, 'not ready');
    });
    cleanup.push(unwatch);

    let metricsServer: HttpServer | undefined;
    if (config.metricsListen !== undefined) {
      const { host, port: mport } = splitHostPort(config.metricsListen);
      metricsServer = await serveMetrics(registry, host, mport, readiness);
      const ms = metricsServer;
      cleanup.push(() => new Promise<void>((r) => ms.close(() => r())));
    }

    const grpcAddress = boundAddress(config.grpcListen, port);
    // Which library checks signatures: a fallback to the slower one is worth a line in the log.
    const crypto = describeCrypto();
    logger.info(
      { grpc: grpcAddress, origin, size: String(store.size), crypto: crypto.provider },
      'ledger started',
    );
    if (crypto.fallback !== undefined)
      logger.warn({ crypto: crypto.provider, reason: crypto.fallback }, 'crypto provider fallback');
    let closed: Promise<void> | undefined;
    return {
      grpcAddress,
      readiness,
      origin,
      logVkey: key.vkey,
      reloadCollectorKeys() {
        try {
          const keys = readCollectorKeys();
          // An empty file is most likely one being rewritten in place; taking it would reject
          // every change until the next reload.
          if (keys.length === 0) {
            throw new LedgerError('CONFIG', `--collector-keys: ${config.collectorKeysFile} holds no keys`);
          }
          pool.setKeys(keys);
          ingest.keepClusters(new Set(keys.map((k) => k.name.slice(COLLECTOR_PREFIX.length))));
          logger.info({ keys: keys.length }, 'collector keys reloaded');
        } catch (err) {
          logger.error(
            { err: (err as Error).message },
            'collector keys not reloaded; the previous keys stay',
          );
          throw err;
        }
      },
      close() {
        closed ??= (async () => {
          // Ingest first (finishes its batch), then the last checkpoint, then the rest.
          await ingest.stop();
          await cp.stop();
          await undo();
          logger.info({ size: String(store.size) }, 'ledger stopped');
        })();
        return closed;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

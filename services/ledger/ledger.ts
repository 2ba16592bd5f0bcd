// Composes one ledger process: store -> search -> checkpointer -> gRPC API -> ingest, with metrics
// and readiness. It only wires parts together: the files the configuration names are read by
// ledger-inputs.ts, metrics are defined in metrics.ts. Every part it starts is stopped by one
// ShutdownStack, in reverse order of start, exactly once, also when the start fails half-way: on
// close, /metrics, then ingest (its batch in flight commits), the last checkpoint, the gRPC API
// (streams end), the search follower, NATS, the store and the data-dir lock.

import type { Server as HttpServer } from 'node:http';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { COLLECTOR_PREFIX } from '../../packages/change/index.js';
import {
  closeNats,
  connectNats,
  createLogger,
  createRegistry,
  ensureStreams,
  lockDataDir,
  Readiness,
  serveMetrics,
  watchNatsConnection,
  watchReadiness,
} from '../../packages/runtime/index.js';
import { describeCrypto } from '../../packages/tlog/index.js';
import { alertPublisher } from './alerts.js';
import { Checkpointer } from './checkpointer.js';
import type { LedgerConfig } from './config.js';
import { type CheckpointCosigner, withoutWitnesses } from './cosigning.js';
import { LedgerError } from './errors.js';
import { serveLedgerGrpc } from './grpc-server.js';
import { Ingest } from './ingest.js';
import { configError, readLedgerInputs, reloadedCollectorKeys } from './ledger-inputs.js';
import { boundAddress, splitHostPort } from './listen-address.js';
import { ledgerMetrics, writeGateMetric } from './metrics.js';
import { rollbackProblem, writePublishedMark } from './published-mark.js';
import { SearchFollower, SearchIndex } from './search/index.js';
import { ShutdownStack } from './shutdown-stack.js';
import { LogStore } from './store.js';
import { VerifyPool } from './verify-pool.js';
import { createWitnessCosigner } from './witness-cosigner.js';
import { ledgerGate, sharedGateBuffer } from './write-gate.js';

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

export async function startLedger(
  config: LedgerConfig,
  deps: { logger?: Logger; registry?: Registry } = {},
): Promise<RunningLedger> {
  const logger = deps.logger ?? createLogger('ledger');
  const registry = deps.registry ?? createRegistry('ledger');
  const { key, origin, collectorKeys, policy, grpcCredentials } = readLedgerInputs(config, logger);
  // The policy is checked (witness URLs) before anything opens.
  const cosigner: CheckpointCosigner =
    policy === undefined
      ? withoutWitnesses
      : configError('witness-policy', () => createWitnessCosigner({ policy, logger, registry }));

  const stack = new ShutdownStack(
    (step, err) => logger.warn({ step, err: (err as Error).message }, 'shutdown step failed'),
    (step) => logger.debug({ step }, 'stopping'),
  );
  try {
    // The cosigner goes first onto the stack, so it closes after the checkpointer's last round.
    stack.defer('witness cosigner', () => cosigner.close?.());
    // Before anything opens the store: a second ledger on this dir stops here, naming the first.
    const lock = lockDataDir(config.dataDir, 'ledger');
    stack.defer('data-dir lock', () => lock.release());
    const store = new LogStore(config.dataDir);
    stack.defer('store', () => store.close());
    // Never sign a second history: a store older than what was published stops the start here.
    const rolledBack = rollbackProblem(config.dataDir, store);
    if (rolledBack !== undefined) throw new LedgerError('ROLLED_BACK', rolledBack);
    const rulesFile = config.rulesFile !== undefined ? { rulesFile: config.rulesFile } : {};
    const search = config.search ? new SearchIndex(store.db, { logger, registry, ...rulesFile }) : undefined;
    const nc = await connectNats({ ...config.nats, name: `ledger ${origin}` });
    // Bounded: with the server gone, a drain or flush would wait for it forever.
    stack.defer('nats', () => closeNats(nc));
    const readiness = new Readiness().add('nats', watchNatsConnection(nc, logger).check);

    let follower: SearchFollower | undefined;
    if (search !== undefined) {
      // The follower writes from its own thread and connection; the ledger's writes go first.
      const gate = sharedGateBuffer();
      const ledgerSide = ledgerGate(gate);
      store.useWriteGate(ledgerSide);
      writeGateMetric(registry, () => ledgerSide.waitedMs());
      const f = new SearchFollower(search, {
        logger,
        registry,
        file: store.db.name,
        ...rulesFile,
        gate,
        logSize: () => store.size,
        publish: alertPublisher(nc),
      });
      follower = f;
      // Stops before the connection closes, after the worker's slice commits and its alerts are
      // published; resumes at the next start.
      stack.defer('search follower', () => f.stop());
      f.notify();
    }
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, {
      duplicateWindowMs: config.duplicateWindowMs,
      replicas: config.streamReplicas,
    });

    let checkpointer: Checkpointer | undefined;
    const metrics = ledgerMetrics(registry, () => checkpointer?.ageSeconds ?? 0);
    metrics.treeSize.set(Number(store.size));
    const cp = new Checkpointer({
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
    checkpointer = cp;
    // Every publication moves the mark that the next start checks the store against.
    const unmark = cp.subscribe((c) => {
      try {
        writePublishedMark(config.dataDir, c.note);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'cannot write the published-checkpoint mark');
      }
    });
    stack.defer('published mark', unmark);

    const grpcServer = await serveLedgerGrpc({
      listen: config.grpcListen,
      credentials: grpcCredentials,
      api: { store, checkpointer: cp, search },
      logger,
      observe: (method, code, seconds) => metrics.rpcSeconds.observe({ method, code: String(code) }, seconds),
      streams: config.watchStreams,
    });
    stack.defer('grpc server', () => grpcServer.shutdown());
    // Started after the API binds, so that it stops before the API: the last checkpoint, signed
    // after ingest (stopped first) committed its last batch, still reaches WatchCheckpoints streams.
    // Until its first round the API answers from the last checkpoint stored (or UNAVAILABLE).
    await cp.start();
    stack.defer('checkpointer', () => cp.stop());
    readiness.add('checkpoints', () => cp.roundCheck());
    if (policy !== undefined) {
      readiness.add('witness-quorum', () => cp.quorumCheck(config.witnessQuorumGraceMs));
    }

    const pool = new VerifyPool(collectorKeys, config.verifyWorkers);
    stack.defer('verify pool', () => pool.close());
    const ingest = new Ingest(
      {
        nc,
        js: jetstream(nc),
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
    // First to stop: the batch in flight commits before the last checkpoint is signed.
    stack.defer('ingest', () => ingest.stop());
    readiness.add('store', () => ingest.storeCheck());

    // gRPC health follows readiness, so a load balancer's health check drains a ledger that cannot
    // ingest or publish, and takes it back once it can.
    grpcServer.setServing(readiness.ready);
    const unwatch = watchReadiness(readiness, (ready, failing) => {
      grpcServer.setServing(ready);
      if (ready) logger.info('ready again');
      else logger.warn({ failing }, 'not ready');
    });
    stack.defer('readiness watch', unwatch);

    if (config.metricsListen !== undefined) {
      const { host, port } = splitHostPort(config.metricsListen);
      const ms: HttpServer = await serveMetrics(registry, host, port, readiness);
      stack.defer('metrics server', () => new Promise<void>((r) => ms.close(() => r())));
    }

    const grpcAddress = boundAddress(config.grpcListen, grpcServer.port);
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
          const keys = reloadedCollectorKeys(config);
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
        closed ??= stack.close().then(() => logger.info({ size: String(store.size) }, 'ledger stopped'));
        return closed;
      },
    };
  } catch (err) {
    await stack.close();
    throw err;
  }
}

// Composes one ledger process: store -> search -> checkpointer -> gRPC API and read HTTP (tiles)
// -> ingest, with metrics and readiness. It only wires parts together: the files the configuration names are read by
// ledger-inputs.ts, metrics are defined in metrics.ts. Every part it starts is stopped by one
// ShutdownStack, in reverse order of start, exactly once, also when the start fails half-way: on
// close, /metrics, then ingest (its batch in flight commits), the last checkpoint, the gRPC API
// (streams end) and the read HTTP listener, the search follower, NATS, the store and the data-dir lock.

import type { Server as HttpServer } from 'node:http';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { COLLECTOR_PREFIX } from '../../packages/change/index.js';
import {
  type Clock,
  closeNats,
  connectNats,
  createLogger,
  createRegistry,
  ensureAlertStreams,
  ensureStreams,
  lockDataDir,
  Readiness,
  serveMetrics,
  watchNatsConnection,
  watchReadiness,
} from '../../packages/runtime/index.js';
import { describeCrypto, type PublicKey, parseVkey } from '../../packages/tlog/index.js';
import { AlertRelay } from './alert-relay.js';
import { Checkpointer } from './checkpointer.js';
import type { LedgerConfig } from './config.js';
import { consoleRoute } from './console/console-route.js';
import { startContinuousExport } from './continuous-export.js';
import { type CheckpointCosigner, withoutWitnesses } from './cosigning.js';
import { LedgerError } from './errors.js';
import { serveLedgerGrpc } from './grpc-server.js';
import { Ingest } from './ingest.js';
import { configError, readLedgerInputs, reloadedCollectorKeys } from './ledger-inputs.js';
import { boundAddress, splitHostPort } from './listen-address.js';
import { alertRelayMetrics, ledgerMetrics, writeGateMetric } from './metrics.js';
import { hasPublishedMark, rollbackProblem, writePublishedMark } from './published-mark.js';
import { type ReadRoute, serveReadHttp } from './read-http.js';
import { SearchFollower, SearchIndex } from './search/index.js';
import { ShutdownStack } from './shutdown-stack.js';
import { LogStore } from './store.js';
import { StreamTrimmer } from './stream-trim.js';
import { TileReader } from './tile-reader.js';
import { TILES_PREFIX, tilesRoute } from './tiles-http.js';
import { VerifyPool } from './verify-pool.js';
import { createWitnessCosigner, type WitnessCosigner } from './witness-cosigner.js';
import { ledgerGate, sharedGateBuffer } from './write-gate.js';

export interface RunningLedger {
  /** host:port actually bound. */
  grpcAddress: string;
  /** Base URL of the read HTTP listener (http://host:port, no slash), when --http-listen is set. */
  httpUrl?: string;
  /** Base URL of the static tiles (httpUrl + /tiles), when --http-listen is set. */
  tilesUrl?: string;
  /** What /readyz and the gRPC health status report. */
  readiness: Readiness;
  origin: string;
  logVkey: string;
  /** host:port of /metrics, /livez and /readyz, when metrics-listen is set. */
  metricsAddress?: string;
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
  /** `clock`: the wall clock for the times the ledger writes in messages (tests make it jump). */
  deps: { logger?: Logger; registry?: Registry; clock?: Clock } = {},
): Promise<RunningLedger> {
  const logger = deps.logger ?? createLogger('ledger');
  const registry = deps.registry ?? createRegistry('ledger');
  const { key, origin, collectorKeys, policy, grpcCredentials } = readLedgerInputs(config, logger);
  // The keys the console shows the browser: those the ledger accepts now (SIGHUP replaces them).
  let acceptedKeys: readonly PublicKey[] = collectorKeys;
  // The policy is checked (witness URLs) before anything opens.
  const witnessed: WitnessCosigner | undefined =
    policy === undefined
      ? undefined
      : configError('witness-policy', () => createWitnessCosigner({ policy, logger, registry }));
  const cosigner: CheckpointCosigner = witnessed ?? withoutWitnesses;

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
    // Store and mark restored together pass that check; the witnesses, with their own state, do not.
    const disowned = await witnessed?.checkAtStart({
      checkpoint: store.lastCheckpoint(),
      entries: store.size,
      marked: hasPublishedMark(config.dataDir),
    });
    if (disowned !== undefined) throw new LedgerError('ROLLED_BACK', disowned);
    const rulesFile = config.rulesFile !== undefined ? { rulesFile: config.rulesFile } : {};
    const search = config.search ? new SearchIndex(store.db, { logger, registry, ...rulesFile }) : undefined;
    const nc = await connectNats({ ...config.nats, name: `ledger ${origin}` });
    // Bounded: with the server gone, a drain or flush would wait for it forever.
    stack.defer('nats', () => closeNats(nc));
    const readiness = new Readiness().add('nats', watchNatsConnection(nc, logger).check);

    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, {
      duplicateWindowMs: config.duplicateWindowMs,
      replicas: config.streamReplicas,
      limits: config.streamLimits,
      applyLimits: true,
    });
    const trimmer = new StreamTrimmer(jsm, logger, config.changesKeepMs);
    trimmer.start();
    stack.defer('stream trimmer', () => trimmer.stop());

    let checkpointer: Checkpointer | undefined;
    const metrics = ledgerMetrics(registry, () => checkpointer?.ageSeconds ?? 0);
    let follower: SearchFollower | undefined;
    let relay: AlertRelay | undefined;
    let gateSide: ReturnType<typeof ledgerGate> | undefined;
    if (search !== undefined) {
      // The follower writes from its own thread and connection; the ledger's writes go first.
      const gate = sharedGateBuffer();
      const ledgerSide = ledgerGate(gate);
      gateSide = ledgerSide;
      store.useWriteGate(ledgerSide);
      writeGateMetric(registry, () => ledgerSide.waitedMs());
      await ensureAlertStreams(jsm, {
        duplicateWindowMs: config.duplicateWindowMs,
        replicas: config.streamReplicas,
      });
      const f = new SearchFollower(search, {
        logger,
        registry,
        file: store.db.name,
        ...rulesFile,
        gate,
        logSize: () => store.size,
        stageSeconds: metrics.stageSeconds,
        // Findings committed: the relay publishes those inside the published checkpoint.
        publish: () => relay?.wake(),
      });
      follower = f;
      // Stops before the connection closes, after the worker's slice commits; resumes at the next
      // start.
      stack.defer('search follower', () => f.stop());
      f.notify();
    }

    metrics.treeSize.set(Number(store.size));
    const cp = new Checkpointer({
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
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
    if (search !== undefined && gateSide !== undefined) {
      const r: AlertRelay = new AlertRelay({
        db: store.db,
        gate: gateSide,
        js: jetstream(nc),
        logger,
        metrics: alertRelayMetrics(registry, (): number => Number(r.lag())),
        indexed: () => search.indexedSize(),
        checkpoint: () => cp.published,
        ...(config.consoleUrl === undefined ? {} : { consoleUrl: config.consoleUrl }),
      });
      relay = r;
      // Stops before the follower and the connection: what it had not published goes out at the
      // next start.
      stack.defer('alert relay', () => r.stop());
      // Each published checkpoint may cover entries whose alerts were waiting for it.
      const unsubscribe = cp.subscribe(() => r.wake());
      stack.defer('alert relay wake-ups', unsubscribe);
      r.wake();
    }
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
    const tileReader = new TileReader(store);
    let httpUrl: string | undefined;
    if (config.httpListen !== undefined) {
      const { host, port } = splitHostPort(config.httpListen);
      // Every read endpoint over HTTP is one route here.
      const consoleClosing = new AbortController();
      const routes: ReadRoute[] = [
        tilesRoute({ reader: tileReader, published: () => cp.published, requests: metrics.tileRequests }),
        consoleRoute({
          store,
          search,
          published: () => cp.published,
          onCheckpoint: (fn) => cp.subscribe(fn),
          origin,
          logVkey: key.vkey,
          policy,
          collectorKeys: () => acceptedKeys,
          logger,
          closing: consoleClosing.signal,
        }),
      ];
      const http = await serveReadHttp({
        host,
        port,
        ...(config.grpcTls !== undefined ? { tls: config.grpcTls } : {}),
        routes,
        logger,
        requests: metrics.httpRequests,
      });
      httpUrl = http.url;
      stack.defer('read http server', () => http.close());
      // Before the listener closes: the console's live streams end.
      stack.defer('console streams', () => consoleClosing.abort());
    }
    // Started after the API binds, so that it stops before the API: the last checkpoint, signed
    // after ingest (stopped first) committed its last batch, still reaches WatchCheckpoints streams.
    // Until its first round the API answers from the last checkpoint stored (or UNAVAILABLE).
    await cp.start();
    stack.defer('checkpointer', () => cp.stop());
    if (config.export !== undefined) {
      // Stops before the checkpointer: its last step exports what was published until then.
      const exporter = startContinuousExport({
        store,
        tiles: tileReader,
        published: () => cp.published,
        ...config.export,
        logVkey: parseVkey(key.vkey),
        logger,
        registry,
      });
      stack.defer('continuous export', () => exporter.stop());
    }
    readiness.add('checkpoints', () => cp.roundCheck());
    if (policy !== undefined) {
      readiness.add('witness-quorum', () => cp.quorumCheck(config.witnessQuorumGraceMs));
    }
    if (witnessed !== undefined) readiness.add('witness-evidence', () => witnessed.evidenceCheck());

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
          tileReader.noteAppended();
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

    let metricsAddress: string | undefined;
    if (config.metricsListen !== undefined) {
      const { host, port } = splitHostPort(config.metricsListen);
      const ms: HttpServer = await serveMetrics(registry, host, port, readiness);
      stack.defer('metrics server', () => new Promise<void>((r) => ms.close(() => r())));
      const bound = ms.address();
      if (bound !== null && typeof bound === 'object')
        metricsAddress = boundAddress(config.metricsListen, bound.port);
    }

    const grpcAddress = boundAddress(config.grpcListen, grpcServer.port);
    // Which library checks signatures: a fallback to the slower one is worth a line in the log.
    const crypto = describeCrypto();
    logger.info(
      { grpc: grpcAddress, http: httpUrl, origin, size: String(store.size), crypto: crypto.provider },
      'ledger started',
    );
    if (crypto.fallback !== undefined)
      logger.warn({ crypto: crypto.provider, reason: crypto.fallback }, 'crypto provider fallback');
    let closed: Promise<void> | undefined;
    return {
      grpcAddress,
      ...(metricsAddress === undefined ? {} : { metricsAddress }),
      ...(httpUrl !== undefined ? { httpUrl, tilesUrl: `${httpUrl}${TILES_PREFIX.slice(0, -1)}` } : {}),
      readiness,
      origin,
      logVkey: key.vkey,
      reloadCollectorKeys() {
        try {
          const keys = reloadedCollectorKeys(config);
          pool.setKeys(keys);
          acceptedKeys = keys;
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

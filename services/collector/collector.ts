// The collector service: webhook and audit-log tail in, signed changes onto JetStream out. It keeps
// no state of its own beyond the tail's read position: JetStream is its buffer.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { jetstreamManager } from '@nats-io/jetstream';
import { ChangeError, DEFAULT_RESOURCES, ResourceFilter } from '../../packages/change/index.js';
import {
  type Clock,
  closeNats,
  connectNats,
  createLogger,
  createRegistry,
  ensureStreams,
  type Logger,
  Readiness,
  type Registry,
  serveMetrics,
  watchNatsConnection,
} from '../../packages/runtime/index.js';
import { describeCrypto } from '../../packages/tlog/index.js';
import {
  type CollectorConfig,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_PUBLISH_DEADLINE_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_TAIL_BATCH_LINES,
  parseHostPort,
  validateConfig,
} from './config.js';
import { CollectorError } from './errors.js';
import { type RunningTail, startLogTail } from './log-tail.js';
import { collectorMetrics } from './metrics.js';
import {
  DEFAULT_MAX_BATCH_ITEMS,
  DEFAULT_MAX_REJECTED_ITEMS,
  DEFAULT_WORKERS,
  PreparePool,
} from './prepare-pool.js';
import { ChangePublisher } from './publisher.js';
import { storedLookup } from './stored-message.js';
import { StreamAcks } from './stream-acks.js';
import { startWebhook } from './webhook.js';

export interface RunningCollector {
  /** The webhook's URL (http:// only on loopback). */
  webhookUrl: string;
  /** The bearer token the webhook accepts (generated when none was configured), if any. */
  webhookToken: string | undefined;
  /** What /readyz reports: NATS is connected. */
  readiness: Readiness;
  close(): Promise<void>;
}

export interface CollectorDeps {
  logger?: Logger;
  registry?: Registry;
  /** The wall clock a change's observedAt is read from (tests make it jump). */
  clock?: Clock;
}

/** Bytes of a generated webhook token (before base64url). */
const GENERATED_TOKEN_BYTES = 32;

export async function startCollector(
  config: CollectorConfig,
  deps: CollectorDeps = {},
): Promise<RunningCollector> {
  validateConfig(config);
  let resources: ResourceFilter;
  try {
    resources = new ResourceFilter(config.resources ?? DEFAULT_RESOURCES);
  } catch (err) {
    if (err instanceof ChangeError) throw new CollectorError('CONFIG', `--resources: ${err.message}`);
    throw err;
  }
  const logger = deps.logger ?? createLogger('collector');
  const registry = deps.registry ?? createRegistry('collector');
  const metrics = collectorMetrics(registry);
  const token =
    config.webhookToken ??
    (config.tls?.clientCaFile === undefined
      ? randomBytes(GENERATED_TOKEN_BYTES).toString('base64url')
      : undefined);
  const publishDeadlineMs = config.publishDeadlineMs ?? DEFAULT_PUBLISH_DEADLINE_MS;
  const maxBodyBytes = config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxBatchItems = config.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS;

  const nc = await connectNats({ name: `collector/${config.cluster}`, ...config.nats });
  const closers: (() => Promise<unknown>)[] = [() => closeNats(nc)];
  // Without NATS no change can be published durably, so the collector is not ready.
  const readiness = new Readiness().add('nats', watchNatsConnection(nc, logger).check);
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    try {
      await ensureStreams(await jetstreamManager(nc));
    } catch (err) {
      // A collector whose NATS user may not create streams (deploy/kubernetes, `up`) can start
      // before the ledger made them: its publishes then fail (503, which the apiserver retries)
      // until the streams exist. Anything else stops the start.
      if (!/permissions violation/i.test(String(err))) throw err;
      logger.warn({ err: String(err) }, 'cannot create the streams; waiting for the ledger to create them');
    }
    const acks = new StreamAcks(nc, config.nats.inboxPrefix);
    closers.push(async () => acks.close());
    const publisher = new ChangePublisher(acks, {
      cluster: config.cluster,
      key: config.key,
      resources,
      metrics,
      logger,
      stored: storedLookup(nc),
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    });
    const pool = new PreparePool({
      cluster: config.cluster,
      key: config.key,
      resources: config.resources ?? DEFAULT_RESOURCES,
      workers: config.workers ?? DEFAULT_WORKERS,
      maxBodyBytes,
      logger,
      maxItems: maxBatchItems,
      maxRejected: config.maxRejectedItems ?? DEFAULT_MAX_REJECTED_ITEMS,
    });
    closers.push(() => pool.close());
    await pool.ready();
    const webhook = await startWebhook({
      listen: parseHostPort(config.webhookListen, '--webhook-listen'),
      token,
      ...(config.webhookTokenFile !== undefined && config.webhookToken !== undefined
        ? { tokenFile: config.webhookTokenFile }
        : {}),
      tls: config.tls,
      ...(config.reloadIntervalMs !== undefined ? { reloadIntervalMs: config.reloadIntervalMs } : {}),
      maxBodyBytes,
      headersTimeoutMs: config.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      publishDeadlineMs,
      publisher,
      pool,
      metrics,
      logger,
      ...(config.pubsubOidc !== undefined ? { pubsubOidc: config.pubsubOidc } : {}),
    });
    closers.push(webhook.close);
    let tail: RunningTail | undefined;
    if (config.auditLogPath !== undefined && config.positionFile !== undefined) {
      tail = startLogTail({
        path: config.auditLogPath,
        positionFile: config.positionFile,
        publisher,
        metrics,
        logger,
        pollIntervalMs: config.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
        batchLines: DEFAULT_TAIL_BATCH_LINES,
        maxLineBytes: maxBodyBytes,
        maxLineItems: maxBatchItems,
        publishDeadlineMs,
      });
      closers.push(tail.close);
    }
    if (config.metricsListen !== undefined) {
      const { host, port } = parseHostPort(config.metricsListen, '--metrics-listen');
      const server: Server = await serveMetrics(registry, host, port, readiness);
      closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    }
    const crypto = describeCrypto();
    logger.info(
      {
        cluster: config.cluster,
        webhook: webhook.url,
        auditLog: config.auditLogPath,
        vkey: config.key.vkey,
        crypto: crypto.provider,
      },
      'collector started',
    );
    if (crypto.fallback !== undefined) {
      logger.warn({ crypto: crypto.provider, reason: crypto.fallback }, 'crypto provider fallback');
    }
    return { webhookUrl: webhook.url, webhookToken: token, readiness, close };
  } catch (err) {
    await close();
    throw err;
  }
}

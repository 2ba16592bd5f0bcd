// Composes one notify process: NATS, the alert streams, one delivery loop per configured output,
// metrics and readiness. Stopped by close(), in reverse order of start: metrics, the loops (their
// deliveries in flight finish), NATS.
import type { Server as HttpServer } from 'node:http';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Ledger } from '../../packages/proto/index.js';
import { channelCredentials, createClient } from '../../packages/rpc/index.js';
import {
  connectNats,
  createLogger,
  createRegistry,
  ensureAlertStreams,
  parseHostPort,
  Readiness,
  serveMetrics,
  watchNatsConnection,
} from '../../packages/runtime/index.js';
import type { NotifyConfig } from './config.js';
import { DeliveryLoop } from './delivery.js';
import { changeSender } from './feed/change-senders.js';
import { ChangesFeed } from './feed/changes-feed.js';
import { PositionFile } from './feed/position.js';
import { notifyMetrics } from './metrics.js';
import { makeOutput } from './outputs/make-output.js';

export interface RunningNotify {
  readiness: Readiness;
  /** The outputs running, by name. */
  outputs: string[];
  close(): Promise<void>;
}

export async function startNotify(
  config: NotifyConfig,
  deps: { logger?: Logger; registry?: Registry } = {},
): Promise<RunningNotify> {
  const logger = deps.logger ?? createLogger('notify');
  const registry = deps.registry ?? createRegistry('notify');
  const metrics = notifyMetrics(registry);
  const steps: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of steps.splice(0).reverse())
      await step().catch((err: unknown) =>
        logger.warn({ err: (err as Error).message }, 'shutdown step failed'),
      );
  };
  try {
    const nc = await connectNats({ ...config.nats, name: 'notify' });
    steps.push(async () => {
      await nc.drain().catch(() => nc.close());
    });
    const readiness = new Readiness().add('nats', watchNatsConnection(nc, logger).check);
    const jsm = await jetstreamManager(nc);
    await ensureAlertStreams(jsm);
    const js = jetstream(nc);
    const loops: DeliveryLoop[] = [];
    for (const { output: oc, filter } of config.outputs) {
      const output = makeOutput(oc, { hostname: config.hostname, timeoutMs: config.retry.timeoutMs });
      const loop = new DeliveryLoop({ js, jsm, output, filter, retry: config.retry, metrics, logger });
      await loop.start();
      loops.push(loop);
      steps.push(() => loop.stop());
    }
    const feed = config.feed;
    if (feed !== undefined) {
      const client = createClient(Ledger, feed.ledgerAddress, channelCredentials(feed.tls));
      steps.push(async () => client.close());
      for (const name of feed.outputs) {
        const oc = config.outputs.find((o) => o.output.kind === name)?.output;
        if (oc === undefined || (oc.kind !== 'elasticsearch' && oc.kind !== 'loki' && oc.kind !== 'splunk'))
          continue; // notifyConfig refused this already
        const changes = new ChangesFeed({
          client,
          sender: changeSender(oc, {
            hostname: config.hostname,
            timeoutMs: config.retry.timeoutMs,
            esChangesIndex: feed.esIndex,
          }),
          position: new PositionFile(feed.dataDir, name),
          metrics,
          logger,
          batch: feed.batch,
          lingerMs: feed.lingerMs,
          backoffMs: config.retry.backoffMs,
          backoffMaxMs: config.retry.backoffMaxMs,
        });
        changes.start();
        steps.push(() => changes.stop());
      }
    }
    if (config.metricsListen !== undefined) {
      const hp = parseHostPort(config.metricsListen);
      const ms: HttpServer = await serveMetrics(registry, hp?.host ?? '127.0.0.1', hp?.port ?? 0, readiness);
      steps.push(() => new Promise<void>((r) => ms.close(() => r())));
    }
    const outputs = config.outputs.map((o) => o.output.kind);
    if (outputs.length === 0) logger.warn('no output configured: alerts stay in INGRESS_ALERTS');
    logger.info({ outputs }, 'notify started');
    let closed: Promise<void> | undefined;
    return {
      readiness,
      outputs,
      close() {
        closed ??= close().then(() => logger.info('notify stopped'));
        return closed;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

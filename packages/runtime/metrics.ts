// Prometheus metrics and health endpoints: each service owns a Registry and may serve it, with
// /livez and /readyz, on its metrics-listen port. Every metric is named ingress_ledger_* (DESIGN 11).
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { packageVersion } from './build-info.js';
import type { Readiness } from './health.js';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The prefix of every metric name. */
export const METRIC_PREFIX = 'ingress_ledger_';

/**
 * A registry with the process's default metrics (CPU, memory, event loop lag, under the common
 * prefix) and ingress_ledger_build_info.
 */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  addBuildInfo(registry);
  return registry;
}

/** ingress_ledger_build_info{version,node} = 1: which release and which Node.js a process runs. */
export function addBuildInfo(registry: Registry): void {
  const name = `${METRIC_PREFIX}build_info`;
  if (registry.getSingleMetric(name) !== undefined) return;
  new Gauge({
    name,
    help: 'Always 1; the labels say which ingress-ledger version and Node.js version run',
    labelNames: ['version', 'node'],
    registers: [registry],
  }).set({ version: packageVersion(), node: process.version }, 1);
}

function text(res: import('node:http').ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * Serves on host:port, resolving once listening:
 * - GET /metrics: the registry;
 * - GET /livez (and /healthz, its older name): 200 while the process serves at all;
 * - GET /readyz: 200 "ok" when every check of `readiness` passes, else 503 with one line per
 *   failing check ("name: reason"). Without `readiness` it answers like /livez.
 */
export async function serveMetrics(
  registry: Registry,
  host: string,
  port: number,
  readiness?: Readiness,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    switch (path) {
      case '/metrics':
        registry.metrics().then(
          (body) => {
            res.writeHead(200, { 'content-type': registry.contentType });
            res.end(body);
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
        return;
      case '/livez':
      case '/healthz':
        text(res, 200, 'ok\n');
        return;
      case '/readyz': {
        const failing = readiness?.failing() ?? [];
        if (failing.length === 0) text(res, 200, 'ok\n');
        else text(res, 503, `${failing.join('\n')}\n`);
        return;
      }
      default:
        res.writeHead(404);
        res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

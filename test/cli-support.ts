// Support for the multi-service CLI tests: `up` as a child process, its endpoints, audit events.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli } from '../services/cli/testing/run-cli.js';
import type { Endpoints } from '../services/cli/up/data-dir.js';

export type { Endpoints };

export interface UpProcess {
  child: ChildProcess;
  endpoints: Endpoints;
  output: () => string;
  /** A stop signal (SIGTERM unless given), then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `ingress-ledger up` on dataDir with free ports and waits for endpoints.json. */
export async function startUp(
  dataDir: string,
  timeoutMs = 60_000,
  extraArgs: string[] = [],
): Promise<UpProcess> {
  const child = spawnCli(
    [
      'up',
      '--data-dir',
      dataDir,
      '--grpc-port',
      '0',
      '--webhook-port',
      '0',
      '--witness-port',
      '0',
      '--http-port',
      '0',
      '--nats-port',
      '0',
      '--metrics-port',
      '0',
      ...extraArgs,
    ],
    { LOG_LEVEL: 'warn' },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const path = join(dataDir, 'endpoints.json');
  const until = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (child.exitCode !== null) throw new Error(`up exited (${child.exitCode}): ${out}`);
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`up was not ready within ${timeoutMs} ms: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const endpoints = JSON.parse(readFileSync(path, 'utf8')) as Endpoints;
  return {
    child,
    endpoints,
    output: () => out,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A kube-apiserver audit Event (audit.k8s.io/v1) of an Ingress create, as the webhook receives it. */
export function ingressCreateEvent(
  auditID: string,
  name: string,
  user = 'alice@example.com',
): Record<string, unknown> {
  const now = new Date().toISOString().replace('Z', '000Z');
  const ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'ingress-ledger.dev/reason': 'ticket OPS-1' },
    },
    spec: { ingressClassName: 'nginx', rules: [{ host: `${name}.example.com`, http: { paths: [] } }] },
  };
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID,
    stage: 'ResponseComplete',
    requestURI: '/apis/networking.k8s.io/v1/namespaces/default/ingresses',
    verb: 'create',
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['192.0.2.10'],
    userAgent: 'kubectl/v1.31.0',
    objectRef: {
      resource: 'ingresses',
      namespace: 'default',
      name,
      apiGroup: 'networking.k8s.io',
      apiVersion: 'v1',
    },
    responseStatus: { metadata: {}, code: 201 },
    requestObject: ingress,
    responseObject: {
      ...ingress,
      metadata: {
        ...ingress.metadata,
        uid: `uid-${auditID}`,
        resourceVersion: '4242',
        creationTimestamp: now,
      },
    },
    requestReceivedTimestamp: now,
    stageTimestamp: now,
  };
}

/** POSTs an EventList to the webhook; resolves with the HTTP status (rejects after `timeoutMs`, if given). */
export async function postEvents(
  url: string,
  token: string,
  events: unknown[],
  timeoutMs?: number,
): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: events }),
    ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Polls fn until it returns a value other than undefined. */
export async function eventually<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${what} not reached within ${timeoutMs} ms${last === undefined ? '' : `: ${String(last)}`}`,
  );
}

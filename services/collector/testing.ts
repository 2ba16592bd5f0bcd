// Test helpers for the collector's tests (real nats-server, real HTTP): read back what was published.
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { BODIES_STREAM, CHANGES_STREAM, REJECTED_STREAM } from '../../packages/runtime/index.js';

export interface StoredMessage {
  subject: string;
  data: Uint8Array;
  headers: Map<string, string>;
}

export class StreamReader {
  private constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {}

  static async connect(url: string): Promise<StreamReader> {
    const nc = await connect({ servers: url });
    return new StreamReader(nc, await jetstreamManager(nc));
  }

  async count(stream: string): Promise<number> {
    try {
      return (await this.jsm.streams.info(stream)).state.messages;
    } catch {
      return 0;
    }
  }

  async all(stream: string): Promise<StoredMessage[]> {
    const info = await this.jsm.streams.info(stream);
    const out: StoredMessage[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await this.jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m === null) continue;
      const headers = new Map<string, string>();
      if (m.header !== undefined) for (const [k, v] of m.header) headers.set(k, v[0] ?? '');
      out.push({ subject: m.subject, data: m.data, headers });
    }
    return out;
  }

  changes() {
    return this.all(CHANGES_STREAM);
  }
  rejected() {
    return this.all(REJECTED_STREAM);
  }
  bodies() {
    return this.all(BODIES_STREAM);
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}

/** Polls until check() is true or the time is up. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ---- Managed-cluster sources: requests built to each provider's documented format ----

/** A Firehose HTTP endpoint delivery body of CloudWatch Logs subscription payloads, one per group. */
export function firehoseDelivery(
  requestId: string,
  groups: readonly (readonly string[])[],
  logStream = 'kube-apiserver-audit-0123456789abcdef',
): string {
  return JSON.stringify({
    requestId,
    timestamp: Date.now(),
    records: groups.map((messages) => ({
      data: gzipSync(
        JSON.stringify({
          messageType: 'DATA_MESSAGE',
          owner: '123456789012',
          logGroup: '/aws/eks/prod/cluster',
          logStream,
          subscriptionFilters: ['ingress-ledger'],
          logEvents: messages.map((message, i) => ({ id: String(i), timestamp: Date.now(), message })),
        }),
      ).toString('base64'),
    })),
  });
}

const RPC_OF_HTTP: Record<number, number> = {
  400: 3,
  401: 16,
  403: 7,
  404: 5,
  409: 6,
  422: 3,
  429: 8,
  500: 13,
};

/**
 * The GKE audit LogEntry of an audit Event: what Cloud Logging keeps of it (principal, caller IP
 * and agent, request, response, google.rpc status, audit ID as operation.id), nothing else.
 */
export function gkeEntryOf(event: Record<string, unknown>, insertId = 'insert-1'): Record<string, unknown> {
  const ref = event.objectRef as Record<string, string | undefined>;
  const group = ref.apiGroup ?? '';
  const path = [
    group === '' ? 'core' : group,
    ref.apiVersion ?? 'v1',
    ...(ref.namespace !== undefined && ref.namespace !== '' ? ['namespaces', ref.namespace] : []),
    ref.resource ?? '',
    ...(ref.name !== undefined && ref.name !== '' ? [ref.name] : []),
    ...(ref.subresource !== undefined ? [ref.subresource] : []),
  ].join('/');
  const reversed = (group === '' ? 'core' : group.replace(/\.k8s\.io$/, '')).split('.').reverse().join('.');
  const method = ['io.k8s', reversed, ref.apiVersion, ref.resource, ref.subresource, event.verb]
    .filter((p) => p !== undefined)
    .join('.');
  const code = (event.responseStatus as { code: number }).code;
  const user = event.user as { username: string };
  // A JSON Patch body is a list, which gets no @type.
  const typed = (o: unknown) =>
    o === undefined || Array.isArray(o) ? o : { '@type': 'k8s.io/Object', ...(o as Record<string, unknown>) };
  return {
    insertId,
    logName: 'projects/test-project/logs/cloudaudit.googleapis.com%2Factivity',
    resource: {
      type: 'k8s_cluster',
      labels: { project_id: 'test-project', location: 'europe-west1', cluster_name: 'prod' },
    },
    timestamp: event.requestReceivedTimestamp,
    receiveTimestamp: event.stageTimestamp,
    severity: 'NOTICE',
    labels: { 'authorization.k8s.io/decision': 'allow' },
    operation: {
      id: event.auditID,
      producer: 'k8s.io',
      first: event.stage !== 'ResponseComplete',
      last: event.stage === 'ResponseComplete',
    },
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      serviceName: 'k8s.io',
      methodName: method,
      resourceName: path,
      authenticationInfo: { principalEmail: user.username },
      requestMetadata: {
        callerIp: (event.sourceIPs as string[] | undefined)?.[0],
        callerSuppliedUserAgent: event.userAgent,
      },
      ...(code >= 300 ? { status: { code: RPC_OF_HTTP[code] ?? 2, message: 'failed' } } : { status: {} }),
      ...(event.requestObject !== undefined ? { request: typed(event.requestObject) } : {}),
      ...(event.responseObject !== undefined ? { response: typed(event.responseObject) } : {}),
    },
  };
}

/** A Pub/Sub push envelope (wrapped delivery) of one message. */
export function pubsubPush(data: string | Uint8Array, messageId = '1'): string {
  return JSON.stringify({
    message: {
      data: Buffer.from(data).toString('base64'),
      attributes: { 'logging.googleapis.com/timestamp': new Date().toISOString() },
      messageId,
      publishTime: new Date().toISOString(),
    },
    subscription: 'projects/test-project/subscriptions/ingress-ledger',
  });
}

/** An RS256 JWT over claims, signed with key (an RSA private key), naming kid when given. */
export function signIdToken(claims: Record<string, unknown>, key: KeyObject, kid?: string): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'RS256', typ: 'JWT', ...(kid !== undefined ? { kid } : {}) });
  const body = enc(claims);
  const sig = cryptoSign('RSA-SHA256', Buffer.from(`${head}.${body}`), key).toString('base64url');
  return `${head}.${body}.${sig}`;
}

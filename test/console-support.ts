// Support for the console tests: audit events of Ingress changes, and headless Chromium through
// playwright-core (Debian's /usr/bin/chromium, or CHROMIUM_PATH), skipped with a reason when absent.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Why the browser tests skip, or false when Chromium is there. */
export const chromiumSkip: string | false = existsSync(CHROMIUM_PATH)
  ? false
  : `skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}

export interface IngressChange {
  auditID: string;
  verb: 'create' | 'update' | 'patch' | 'delete';
  namespace: string;
  name: string;
  user: string;
  spec: Record<string, unknown>;
  code?: number;
  reason?: string;
}

/** A kube-apiserver audit Event (audit.k8s.io/v1) of one Ingress change, as the webhook receives it. */
export function ingressEvent(c: IngressChange): Record<string, unknown> {
  const now = new Date().toISOString().replace('Z', '000Z');
  const obj = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: c.name,
      namespace: c.namespace,
      annotations: c.reason === undefined ? {} : { 'ingress-ledger.dev/reason': c.reason },
    },
    spec: c.spec,
  };
  const collection = `/apis/networking.k8s.io/v1/namespaces/${c.namespace}/ingresses`;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: c.auditID,
    stage: 'ResponseComplete',
    requestURI: c.verb === 'create' ? collection : `${collection}/${c.name}`,
    verb: c.verb,
    user: { username: c.user, groups: ['system:authenticated'] },
    sourceIPs: ['192.0.2.10'],
    userAgent: 'kubectl/v1.31.0',
    objectRef: {
      resource: 'ingresses',
      namespace: c.namespace,
      name: c.name,
      apiGroup: 'networking.k8s.io',
      apiVersion: 'v1',
    },
    responseStatus: { metadata: {}, code: c.code ?? (c.verb === 'create' ? 201 : 200) },
    requestObject: obj,
    responseObject: {
      ...obj,
      metadata: { ...obj.metadata, uid: `uid-${c.namespace}-${c.name}`, resourceVersion: String(Date.now()) },
    },
    requestReceivedTimestamp: now,
    stageTimestamp: now,
  };
}

// Fixtures for the ledger tests: signed changes made here (not by the collector), key files, and a
// naive RFC 6962 reference that recomputes roots and proofs from all leaf hashes, independently of
// packages/tlog's stored-node algorithms.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Change, canonicalJson } from '../packages/change/index.js';
import { generateKey, type PrivateKey, signNote } from '../packages/tlog/index.js';
import type { RawSettings } from '../services/ledger/config.js';

const utf8 = new TextEncoder();

export function makeChange(cluster: string, auditID: string, padTo = 0): Change {
  const c: Change = {
    schema: 'ingress-ledger.change/v1',
    cluster,
    auditID,
    verb: 'update',
    action: 'update',
    object: {
      group: 'networking.k8s.io',
      version: 'v1',
      resource: 'ingresses',
      namespace: 'shop',
      name: `web-${auditID.slice(0, 6)}`,
      uid: `uid-${auditID}`,
      resourceVersion: '42',
    },
    user: { username: 'alice@example.com', groups: ['devs'] },
    sourceIPs: ['10.0.0.1'],
    userAgent: 'kubectl/v1.31',
    requestReceivedTimestamp: '2026-11-27T00:00:00.000000Z',
    stageTimestamp: '2026-11-27T00:00:00.100000Z',
    responseCode: 200,
    reason: null,
    request: { spec: { rules: [{ host: 'shop.example.com' }] } },
    response: { metadata: { name: 'web', annotations: {} }, spec: { rules: [{ host: 'shop.example.com' }] } },
    source: 'audit-webhook',
    observedAt: '2026-11-27T00:00:00.200000Z',
  };
  const size = utf8.encode(canonicalJson(c)).length;
  if (padTo > size) (c.request as { pad?: string }).pad = 'x'.repeat(padTo - size - 10);
  return c;
}

export function signChange(change: unknown, key: PrivateKey): Uint8Array {
  return utf8.encode(signNote(`${canonicalJson(change)}\n`, key));
}

export function signText(text: string, key: PrivateKey): Uint8Array {
  return utf8.encode(signNote(text, key));
}

export interface KeySetup {
  dir: string;
  logKey: PrivateKey;
  keyFile: string;
  collectorKeysFile: string;
  collectors: Map<string, PrivateKey>;
}

/** A temp dir with a log key file and a vkeys file for collectors of the given clusters. */
export function setupKeys(origin: string, clusters: string[]): KeySetup {
  const dir = mkdtempSync(join(tmpdir(), 'il-ledger-'));
  const logKey = generateKey(origin);
  const keyFile = join(dir, 'log.key');
  writeFileSync(keyFile, `${logKey.skey}\n`, { mode: 0o600 });
  const collectors = new Map(clusters.map((c) => [c, generateKey(`collector/${c}`)]));
  const collectorKeysFile = join(dir, 'collectors.vkeys');
  writeFileSync(collectorKeysFile, `${[...collectors.values()].map((k) => k.vkey).join('\n')}\n`);
  return { dir, logKey, keyFile, collectorKeysFile, collectors };
}

/** Ledger settings for these keys: data under keys.dir, gRPC on a free loopback port, plus `extra`. */
/** What a ledger test starts; each part may be missing when its set-up failed early. */
export interface LedgerRig {
  client?: { close(): void };
  ledger?: { close(): Promise<void> };
  nc?: { close(): Promise<void> };
  nats?: { stop(o: { removeStore: boolean }): Promise<void> };
  dir: string;
}

/** Stops a ledger test's parts in order (client, ledger, connection, nats-server) and removes its files. */
export async function stopLedgerRig(r: LedgerRig): Promise<void> {
  r.client?.close();
  await r.ledger?.close();
  await r.nc?.close();
  await r.nats?.stop({ removeStore: true });
  rmSync(r.dir, { recursive: true, force: true });
}

export function ledgerSettings(keys: KeySetup, natsUrl: string, extra: RawSettings = {}): RawSettings {
  return {
    'data-dir': join(keys.dir, 'data'),
    'nats-url': natsUrl,
    'grpc-listen': '127.0.0.1:0',
    key: keys.keyFile,
    'collector-keys': keys.collectorKeysFile,
    ...extra,
  };
}

// --- the naive reference (RFC 6962 section 2.1, recursive definitions) ---

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

export const naiveLeafHash = (leaf: Uint8Array) => sha(new Uint8Array([0]), leaf);

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function naiveRoot(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return sha();
  if (hashes.length === 1) return hashes[0]!;
  const k = split(hashes.length);
  return sha(new Uint8Array([1]), naiveRoot(hashes.slice(0, k)), naiveRoot(hashes.slice(k)));
}

export function naiveInclusion(m: number, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (hashes.length <= 1) return [];
  const k = split(hashes.length);
  return m < k
    ? [...naiveInclusion(m, hashes.slice(0, k)), naiveRoot(hashes.slice(k))]
    : [...naiveInclusion(m - k, hashes.slice(k)), naiveRoot(hashes.slice(0, k))];
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [naiveRoot(d)];
  const k = split(n);
  return m <= k
    ? [...subproof(m, d.slice(0, k), b), naiveRoot(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), naiveRoot(d.slice(0, k))];
}

export function naiveConsistency(m: number, hashes: readonly Uint8Array[]): Uint8Array[] {
  return subproof(m, hashes, true);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

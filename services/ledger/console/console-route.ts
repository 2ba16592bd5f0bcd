// The console as one route of the ledger's read HTTP listener (read-http.ts): `/` and its files,
// `/api/...` its data. Mounted at the root, it gets every path no longer prefix (`/tiles/`) claims.
import type { Logger } from 'pino';
import {
  formatPolicy,
  type Policy,
  type PublicKey,
  parseVkey,
  QUORUM_NONE,
} from '../../../packages/tlog/index.js';
import type { PublishedCheckpoint } from '../checkpointer.js';
import type { ReadRoute } from '../read-http.js';
import type { SearchIndex } from '../search/index.js';
import type { LogStore } from '../store.js';
import { consoleApi } from './console-api.js';
import { consoleHandler } from './console-http.js';
import type { TrustJson } from './entry-json.js';

/** Where the console is mounted on the read listener. */
export const CONSOLE_PREFIX = '/';

export interface ConsoleRouteDeps {
  store: LogStore;
  search: SearchIndex | undefined;
  published: () => PublishedCheckpoint | undefined;
  onCheckpoint: (fn: () => void) => () => void;
  origin: string;
  logVkey: string;
  /** The witness policy the ledger publishes under, when it has one. */
  policy: Policy | undefined;
  /** The collector keys accepted now (they change on SIGHUP). */
  collectorKeys: () => readonly PublicKey[];
  logger: Logger;
  closing: AbortSignal;
  assetsDir?: string;
}

/**
 * The policy the browser verifies against: the ledger's own, without witness URLs (the browser
 * never calls a witness, and they may be internal addresses); without one, this log and no quorum.
 */
export function servedPolicy(policy: Policy | undefined, logVkey: string): string {
  if (policy === undefined)
    return formatPolicy({
      logs: [{ vkey: parseVkey(logVkey) }],
      witnesses: [],
      groups: [],
      quorum: QUORUM_NONE,
    });
  return formatPolicy({
    logs: policy.logs.map((l) => ({ vkey: l.vkey })),
    witnesses: policy.witnesses.map((w) => ({ name: w.name, vkey: w.vkey })),
    groups: policy.groups,
    quorum: policy.quorum,
  });
}

export function consoleRoute(d: ConsoleRouteDeps): ReadRoute {
  const policy = servedPolicy(d.policy, d.logVkey);
  const trust = (): TrustJson => ({
    origin: d.origin,
    logVkey: d.logVkey,
    policy,
    collectorVkeys: d.collectorKeys().map((k) => k.vkey),
  });
  const api = consoleApi({ store: d.store, search: d.search, published: d.published, trust });
  const handle = consoleHandler(api, {
    logger: d.logger,
    closing: d.closing,
    onCheckpoint: d.onCheckpoint,
    ...(d.assetsDir !== undefined ? { assetsDir: d.assetsDir } : {}),
  });
  return { prefix: CONSOLE_PREFIX, name: 'console', handle: (req, res) => handle(req, res) };
}

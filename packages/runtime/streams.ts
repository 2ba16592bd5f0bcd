// The JetStream streams of DESIGN section 4 (binding names). Collector and ledger both make sure
// they exist, with the same configuration, so either may start first.
import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';

export const CHANGES_STREAM = 'INGRESS_CHANGES';
export const REJECTED_STREAM = 'INGRESS_REJECTED';
/** Request/response bodies kept outside their leaf, one message per body, subject by digest. */
export const BODIES_STREAM = 'INGRESS_BODIES';
export const LEDGER_CONSUMER = 'ledger';
export const CHECKPOINTS_SUBJECT = 'ledger.checkpoints';

export const changesSubject = (cluster: string) => `ingress.changes.${cluster}`;
export const rejectedSubject = (cluster: string) => `ingress.rejected.${cluster}`;
export const alertsSubject = (cluster: string) => `ledger.alerts.${cluster}`;
/** Subject of an out-of-leaf body: its lower-case hex SHA-256. */
export const bodySubject = (sha256Hex: string) => `ingress.bodies.${sha256Hex}`;

/** Header on INGRESS_REJECTED messages: why the message was rejected, `<CODE>: <message>`. */
export const REJECTION_HEADER = 'Rejection-Reason';
/** Header on the collector's INGRESS_REJECTED messages: where the item came from (webhook, log). */
export const SOURCE_HEADER = 'Ingress-Source';
/** Header on ledger.checkpoints messages: the log's origin. */
export const LOG_ORIGIN_HEADER = 'Log-Origin';
/** Longest Rejection-Reason value: reasons can quote input. */
export const MAX_REJECTION_REASON_CHARS = 512;

/**
 * The Rejection-Reason value for `code` and `message`: one line of printable ASCII (a header value
 * cannot hold a newline, and a reason may quote hostile input), at most MAX_REJECTION_REASON_CHARS.
 */
export function rejectionReason(code: string, message: string): string {
  const line = `${code}: ${message}`.replace(/[^\x20-\x7e]/g, '?');
  return line.length > MAX_REJECTION_REASON_CHARS ? `${line.slice(0, MAX_REJECTION_REASON_CHARS)}...` : line;
}

/**
 * Nats-Msg-Id of the ledger's rejection of a message of INGRESS_CHANGES: the message's own id (so a
 * consumer of INGRESS_REJECTED finds the change it published), else one from its stream sequence.
 */
export const ledgerRejectionMsgId = (originalMsgId: string | undefined, streamSequence: number | bigint) =>
  originalMsgId !== undefined && originalMsgId !== '' ? originalMsgId : `rejected/ledger/${streamSequence}`;
/** Nats-Msg-Id of the collector's rejection of an item, by the SHA-256 of its bytes. */
export const collectorRejectionMsgId = (cluster: string, sha256Hex: string) =>
  `rejected/${cluster}/${sha256Hex}`;
/** Nats-Msg-Id of an out-of-leaf body. */
export const bodyMsgId = (sha256Hex: string) => `body/${sha256Hex}`;

/**
 * A `ledger.alerts.<cluster>` message: one finding of the risk rules (packages/risk) on the entry at
 * `index`. JSON with `index` first, as a JSON number written exactly (a log index can pass 2^53).
 */
export interface AlertMessage {
  index: bigint;
  cluster: string;
  rule: string;
  severity: string;
  message: string;
  /** JSON Pointer into the stored object or request; '' when none. */
  path: string;
}

export function encodeAlert(a: AlertMessage): string {
  const rest = JSON.stringify({
    cluster: a.cluster,
    rule: a.rule,
    severity: a.severity,
    message: a.message,
    path: a.path,
  });
  return `{"index":${a.index},${rest.slice(1)}`;
}

const ALERT_INDEX_RE = /^\{"index":(0|[1-9][0-9]{0,19}),/;

/** Reads an alert message; undefined when it is not one. */
export function decodeAlert(text: string): AlertMessage | undefined {
  const m = ALERT_INDEX_RE.exec(text);
  if (m === null) return undefined;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = o as Record<string, unknown>;
  const fields = ['cluster', 'rule', 'severity', 'message', 'path'] as const;
  if (fields.some((f) => typeof r[f] !== 'string')) return undefined;
  return {
    index: BigInt(m[1] ?? '0'),
    cluster: r.cluster as string,
    rule: r.rule as string,
    severity: r.severity as string,
    message: r.message as string,
    path: r.path as string,
  };
}

/** Default duplicate window on Nats-Msg-Id: 2 minutes (JetStream's own default). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

const NS_PER_MS = 1_000_000;

/**
 * Limits of the streams (docs/storage.md). The streams are a buffer in front of the log, never the
 * record, and no limit may drop a change nobody consumed: INGRESS_CHANGES and INGRESS_BODIES
 * refuse new messages when full (discard new: the collector answers 503 and the apiserver
 * retries), and the ledger removes what it has committed, and the bodies those changes named
 * (services/ledger/stream-trim.ts);
 * INGRESS_REJECTED, a record of refusals kept for inspection, drops its oldest beyond its limits.
 */
export interface StreamLimits {
  changesMaxBytes: number;
  rejectedMaxBytes: number;
  rejectedMaxAgeMs: number;
  bodiesMaxBytes: number;
}

const GIB = 1024 ** 3;
/**
 * Defaults: together 2.25 GiB, within the 8 GB JetStream store of deploy/kubernetes (JetStream
 * reserves a file stream's max_bytes up front). 1 GiB holds ~600,000 changes of 1.5 KB: days of
 * a busy cluster's changes while the ledger is down.
 */
export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  changesMaxBytes: GIB,
  rejectedMaxBytes: GIB / 4,
  rejectedMaxAgeMs: 30 * 86_400_000,
  bodiesMaxBytes: GIB,
};
/** Smallest stream size limit a setting may give. */
export const MIN_STREAM_BYTES = 1024 * 1024;
/** Largest: 1 PiB. */
export const MAX_STREAM_BYTES = 2 ** 50;

export interface StreamOptions {
  duplicateWindowMs?: number;
  /** Replicas (1 on one machine; 3 in a JetStream cluster). */
  replicas?: number;
  limits?: StreamLimits;
  /**
   * Bring existing streams to `limits` (the ledger owns them; the collector only creates missing
   * streams with the defaults).
   */
  applyLimits?: boolean;
}

function streamConfigs(o: StreamOptions): (Partial<StreamConfig> & { name: string })[] {
  const dup = (o.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS) * NS_PER_MS;
  const num_replicas = o.replicas ?? 1;
  return [
    {
      name: CHANGES_STREAM,
      subjects: ['ingress.changes.*'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: dup,
      num_replicas,
      ...limitsOf(o).changes,
    },
    {
      name: REJECTED_STREAM,
      subjects: ['ingress.rejected.*'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas,
      ...limitsOf(o).rejected,
    },
    {
      name: BODIES_STREAM,
      subjects: ['ingress.bodies.*'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      duplicate_window: dup,
      max_msgs_per_subject: 1,
      allow_direct: true,
      num_replicas,
      ...limitsOf(o).bodies,
    },
  ];
}

/** The limit fields of each stream's configuration. */
function limitsOf(o: StreamOptions) {
  const l = o.limits ?? DEFAULT_STREAM_LIMITS;
  return {
    changes: { discard: DiscardPolicy.New, max_bytes: l.changesMaxBytes },
    rejected: {
      discard: DiscardPolicy.Old,
      max_bytes: l.rejectedMaxBytes,
      max_age: l.rejectedMaxAgeMs * NS_PER_MS,
    },
    bodies: { discard: DiscardPolicy.New, max_bytes: l.bodiesMaxBytes },
  } satisfies Record<string, Partial<StreamConfig>>;
}

/** Creates the streams that are missing; with applyLimits, brings existing ones to the limits. */
export async function ensureStreams(jsm: JetStreamManager, o: StreamOptions = {}): Promise<void> {
  for (const cfg of streamConfigs(o)) {
    let existing: StreamConfig | undefined;
    try {
      existing = (await jsm.streams.info(cfg.name)).config;
    } catch {
      existing = undefined;
    }
    if (existing !== undefined) {
      const differs = (['discard', 'max_bytes', 'max_age'] as const).some(
        (k) => k in cfg && (cfg as Partial<StreamConfig>)[k] !== existing[k],
      );
      if (o.applyLimits === true && differs) {
        await jsm.streams.update(cfg.name, {
          ...existing,
          discard: cfg.discard ?? existing.discard,
          max_bytes: cfg.max_bytes ?? existing.max_bytes,
          max_age: cfg.max_age ?? existing.max_age,
        });
      }
    } else {
      try {
        await jsm.streams.add(cfg);
      } catch (err) {
        // Another process may have created it between info and add.
        await jsm.streams.info(cfg.name).catch(() => {
          throw err;
        });
      }
    }
  }
}

// The JetStream streams of DESIGN section 4 (binding names). Collector and ledger both make sure
// they exist, with the same configuration, so either may start first.
import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { MAX_ALERT_BYTES } from './alert-payload.js';

export const CHANGES_STREAM = 'INGRESS_CHANGES';
export const REJECTED_STREAM = 'INGRESS_REJECTED';
/** Request/response bodies kept outside their leaf, one message per body, subject by digest. */
export const BODIES_STREAM = 'INGRESS_BODIES';
export const LEDGER_CONSUMER = 'ledger';
export const CHECKPOINTS_SUBJECT = 'ledger.checkpoints';
/** Risk alerts (alert-payload.ts), one message per finding; the ledger creates it. */
export const ALERTS_STREAM = 'INGRESS_ALERTS';
/** Alerts an output gave up on after its last attempt, kept for an operator; notify creates it. */
export const DEAD_ALERTS_STREAM = 'INGRESS_ALERTS_DEAD';

export const changesSubject = (cluster: string) => `ingress.changes.${cluster}`;
export const rejectedSubject = (cluster: string) => `ingress.rejected.${cluster}`;
export const alertsSubject = (cluster: string) => `ledger.alerts.${cluster}`;
/** Subject of an alert that `output` dead-lettered. */
export const deadAlertSubject = (output: string) => `notify.dead.${output}`;
/** Durable consumer of INGRESS_ALERTS for one notify output: each output has its own position. */
export const notifyConsumer = (output: string) => `notify-${output}`;
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

/** Limits of INGRESS_ALERTS and INGRESS_ALERTS_DEAD when created (docs/alerts.md). */
export interface AlertStreamLimits {
  /** Oldest alert kept (default 30 days). */
  maxAgeMs?: number;
  /** Most bytes kept (default 1 GiB); the oldest alerts go first. */
  maxBytes?: number;
}
/** An alert is kept this long by default: long enough for an output that was down over a holiday. */
export const DEFAULT_ALERTS_MAX_AGE_MS = 30 * 24 * 3_600_000;
export const DEFAULT_ALERTS_MAX_BYTES = 1024 ** 3;

function alertStreamConfigs(
  o: StreamOptions & AlertStreamLimits,
): (Partial<StreamConfig> & { name: string })[] {
  const common = {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: (o.maxAgeMs ?? DEFAULT_ALERTS_MAX_AGE_MS) * NS_PER_MS,
    max_bytes: o.maxBytes ?? DEFAULT_ALERTS_MAX_BYTES,
    max_msg_size: MAX_ALERT_BYTES,
    num_replicas: o.replicas ?? 1,
  };
  return [
    {
      name: ALERTS_STREAM,
      subjects: [alertsSubject('*')],
      duplicate_window: (o.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS) * NS_PER_MS,
      ...common,
    },
    { name: DEAD_ALERTS_STREAM, subjects: [deadAlertSubject('*')], ...common },
  ];
}

/** Creates the alert streams that are missing (the ledger and notify both call it). */
export async function ensureAlertStreams(
  jsm: JetStreamManager,
  o: StreamOptions & AlertStreamLimits = {},
): Promise<void> {
  await ensureConfigs(jsm, alertStreamConfigs(o));
}

/** Creates the streams that are missing; with applyLimits, brings existing ones to the limits. */
export async function ensureStreams(jsm: JetStreamManager, o: StreamOptions = {}): Promise<void> {
  await ensureConfigs(jsm, streamConfigs(o), o.applyLimits === true);
}

async function ensureConfigs(
  jsm: JetStreamManager,
  configs: (Partial<StreamConfig> & { name: string })[],
  applyLimits = false,
): Promise<void> {
  for (const cfg of configs) {
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
      if (applyLimits && differs) {
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

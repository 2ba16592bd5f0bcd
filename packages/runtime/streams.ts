// The JetStream streams of DESIGN section 4 (binding names). Collector and ledger both make sure
// they exist, with the same configuration, so either may start first.
import { type JetStreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';

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

/** Default duplicate window on Nats-Msg-Id: 2 minutes (JetStream's own default). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

const NS_PER_MS = 1_000_000;

export interface StreamOptions {
  duplicateWindowMs?: number;
  /** Replicas (1 on one machine; 3 in a JetStream cluster). */
  replicas?: number;
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
    },
    {
      name: REJECTED_STREAM,
      subjects: ['ingress.rejected.*'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas,
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
    },
  ];
}

/** Creates the streams that are missing; leaves existing ones as they are. */
export async function ensureStreams(jsm: JetStreamManager, o: StreamOptions = {}): Promise<void> {
  for (const cfg of streamConfigs(o)) {
    try {
      await jsm.streams.info(cfg.name);
    } catch {
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

// packages/runtime: what every service shares: logging, metrics and health probes, settings, NATS
// connections and streams, key files, the data dir lock, the crypto choice, and how a service
// process runs.

export {
  ALERT_EVENT_TYPE,
  ALERT_ID_HEADER,
  ALERT_SCHEMA,
  type Alert,
  type AlertCheckpoint,
  type AlertObject,
  type AlertSeverity,
  alertId,
  decodeAlert,
  encodeAlert,
  MAX_ALERT_BYTES,
  SEVERITIES,
} from './alert-payload.js';
export { type Clock, systemClock } from './clock.js';
export { selectCrypto } from './crypto-choice.js';
export { DataDirLockError, lockDataDir } from './data-dir-lock.js';
export { Readiness, watchReadiness } from './health.js';
export { answerClientError } from './http-client-error.js';
export { parseVkeyList, readSkeyFile, readVkeysFile, writeKeyFiles } from './keys.js';
export { LEDGER_DB_FILE, storedNodeId } from './ledger-files.js';
export { createLogger, type Logger, silentLogger } from './log.js';
export { Counter, createRegistry, Gauge, Histogram, Registry, serveMetrics } from './metrics.js';
export {
  closeNats,
  connectNats,
  DEFAULT_NATS_CLOSE_MS,
  type NatsConfig,
  NatsError,
  watchNatsConnection,
} from './nats.js';
export {
  collectorPermissions,
  ledgerPermissions,
  type NatsPermissions,
  notifyPermissions,
  readerPermissions,
} from './nats-permissions.js';
export { NATS_SETTINGS, natsConfigFrom } from './nats-settings.js';
export { DEFAULT_PEER_LOG_INTERVAL_MS, PeerLogLimit } from './peer-log-limit.js';
export { isConfigError, runService } from './run-service.js';
export {
  loadSettings,
  parseHostPort,
  type RawSettings,
  type SettingName,
  type SettingSpec,
  Settings,
  SettingsError,
  type SettingsTable,
  settingsCommand,
} from './settings.js';
export {
  ALERTS_STREAM,
  type AlertStreamLimits,
  alertsSubject,
  BODIES_STREAM,
  bodyMsgId,
  bodySubject,
  CHANGES_STREAM,
  CHECKPOINTS_SUBJECT,
  changesSubject,
  collectorRejectionMsgId,
  DEAD_ALERTS_STREAM,
  DEFAULT_ALERTS_MAX_AGE_MS,
  DEFAULT_ALERTS_MAX_BYTES,
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_STREAM_LIMITS,
  deadAlertSubject,
  ensureAlertStreams,
  ensureStreams,
  LEDGER_CONSUMER,
  LOG_ORIGIN_HEADER,
  ledgerRejectionMsgId,
  MAX_STREAM_BYTES,
  MIN_STREAM_BYTES,
  notifyConsumer,
  REJECTED_STREAM,
  REJECTION_HEADER,
  rejectedSubject,
  rejectionReason,
  SOURCE_HEADER,
  type StreamLimits,
} from './streams.js';

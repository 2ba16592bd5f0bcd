// packages/runtime: what every service shares: logging, metrics and health probes, settings, NATS
// connections and streams, key files, the data dir lock, the crypto choice, and how a service
// process runs.
export { selectCrypto } from './crypto-choice.js';
export { DataDirLockError, lockDataDir } from './data-dir-lock.js';
export { Readiness, watchReadiness } from './health.js';
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
  readerPermissions,
} from './nats-permissions.js';
export { NATS_SETTINGS, natsConfigFrom } from './nats-settings.js';
export { DEFAULT_PEER_LOG_INTERVAL_MS, PeerLogLimit } from './peer-log-limit.js';
export { isConfigError, runService } from './run-service.js';
export {
  loadSettings,
  type RawSettings,
  type SettingName,
  type SettingSpec,
  Settings,
  SettingsError,
  type SettingsTable,
  settingsCommand,
} from './settings.js';
export {
  type AlertMessage,
  alertsSubject,
  BODIES_STREAM,
  bodyMsgId,
  bodySubject,
  CHANGES_STREAM,
  CHECKPOINTS_SUBJECT,
  changesSubject,
  collectorRejectionMsgId,
  DEFAULT_DUPLICATE_WINDOW_MS,
  decodeAlert,
  encodeAlert,
  ensureStreams,
  LEDGER_CONSUMER,
  LOG_ORIGIN_HEADER,
  ledgerRejectionMsgId,
  REJECTED_STREAM,
  REJECTION_HEADER,
  rejectedSubject,
  rejectionReason,
  SOURCE_HEADER,
} from './streams.js';

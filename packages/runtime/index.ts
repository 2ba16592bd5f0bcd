// packages/runtime: what every service shares: logging, metrics and health probes, settings, NATS
// connections and streams, key files, the data dir lock, the crypto choice, and how a service
// process runs.
export * from './build-info.js';
export * from './crypto-choice.js';
export * from './data-dir-lock.js';
export * from './health.js';
export * from './keys.js';
export * from './ledger-files.js';
export * from './log.js';
export * from './metrics.js';
export * from './nats.js';
export * from './nats-permissions.js';
export * from './nats-settings.js';
export * from './run-service.js';
export * from './settings.js';
export * from './streams.js';

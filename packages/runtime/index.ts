// packages/runtime: what every service shares: logging, metrics, settings, NATS connections and
// streams, key files, and how a service process runs.

export * from './crypto-choice.js';
export * from './keys.js';
export * from './log.js';
export * from './metrics.js';
export * from './nats.js';
export * from './nats-permissions.js';
export * from './nats-settings.js';
export * from './run-service.js';
export * from './settings.js';
export * from './streams.js';

// packages/runtime: what every service shares: logging, metrics, NATS connections and streams, key files.
export * from './keys.js';
export * from './log.js';
export * from './metrics.js';
export * from './nats.js';
export * from './streams.js';

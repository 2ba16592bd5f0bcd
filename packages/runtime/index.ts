// packages/runtime: what every service shares: logging, metrics, NATS connection options.
export * from './log.js';
export * from './metrics.js';
export * from './nats.js';
